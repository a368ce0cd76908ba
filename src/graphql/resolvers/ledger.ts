import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  Info,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { assertCanRead } from '../../modules/access';
import type { AllocationEntity, GrantEntity, MovementPage, MovementView } from '../../modules/ledger';
import type { Page } from '../../modules/shared';
import { withCurrencies, type Context } from '../context';
import { AdminOnly } from '../guards';
import { selectsOnlyId } from '../selection';
import { CustomerType, PlanSubscriptionType, toCustomer, toSubscription } from '../types/customers';
import { toConnection } from '../types/common';
import {
  AdjustCreditsInput,
  CreateCreditGrantInput,
  CreditBalanceType,
  CreditGrantConnection,
  CreditGrantType,
  CreditMovementConnection,
  CreditMovementType,
  GrantAllocationType,
  GrantStatus,
  InvoiceConnection,
  InvoiceType,
  MovementType,
  PaymentStatus,
  toAllocation,
  toBalance,
  toGrant,
  toInvoice,
  toMovement,
} from '../types/ledger';
import { ForwardPageArgs } from './catalog';

@ArgsType()
export class GrantListArgs extends ForwardPageArgs {
  @Field(() => String, { nullable: true }) currency?: string | null;
  @Field(() => [GrantStatus], { nullable: true }) status?: GrantStatus[] | null;
}

@ArgsType()
export class MovementListArgs extends ForwardPageArgs {
  @Field(() => String, { nullable: true }) currency?: string | null;
  @Field(() => [MovementType], { nullable: true }) types?: MovementType[] | null;
  @Field(() => Int, { nullable: true }) last?: number | null;
  @Field(() => String, { nullable: true }) before?: string | null;
}

/** Maps entities to API objects, loading each distinct currency once per request. */
export function mapGrants(ctx: Context, grants: GrantEntity[]): Promise<CreditGrantType[]> {
  return withCurrencies(ctx, grants, (g, c) => toGrant(g, c, ctx.now));
}

export function mapMovements(ctx: Context, movements: MovementView[]): Promise<CreditMovementType[]> {
  return withCurrencies(ctx, movements, toMovement);
}

/**
 * A page of history: its movements' allocations came with it, so each movement carries its own (answered
 * without a promise, see `CreditMovementResolver.allocations`) and their loader asks nothing more.
 */
async function historyPage(ctx: Context, page: MovementPage) {
  for (const [id, allocations] of page.allocations) ctx.loaders.allocations.prime(id, allocations);
  const connection = await pageOf(ctx, page, mapMovements);
  for (const edge of connection.edges) edge.node.allocationRows = page.allocations.get(edge.node.id) ?? [];
  return connection;
}

async function pageOf<E, T>(ctx: Context, page: Page<E>, map: (ctx: Context, xs: E[]) => Promise<T[]>) {
  const nodes = await map(ctx, page.nodes);
  return toConnection({ ...page, nodes }, (n) => n);
}

@Resolver()
export class LedgerQueryResolver {
  @Query(() => [CreditBalanceType])
  async creditBalances(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('currency', () => String, { nullable: true }) currency: string | null,
    @Ctx() ctx: Context,
  ): Promise<CreditBalanceType[]> {
    assertCanRead(ctx.principal, customerId);
    await ctx.services.customers.assertExists(customerId);
    return (await ctx.services.ledger.balances(customerId, currency)).map(toBalance);
  }

  @Query(() => CreditGrantConnection)
  async creditGrants(
    @Arg('customerId', () => ID) customerId: string,
    @Args(() => GrantListArgs) args: GrantListArgs,
    @Ctx() ctx: Context,
  ) {
    assertCanRead(ctx.principal, customerId);
    await ctx.services.customers.assertExists(customerId);
    return pageOf(
      ctx,
      await ctx.services.ledger.listGrants(
        customerId,
        { currency: args.currency, status: args.status },
        args,
      ),
      mapGrants,
    );
  }

  @Query(() => CreditMovementConnection, {
    description: 'Newest first; first/after go to older movements, last/before to newer.',
  })
  async creditTransactions(
    @Arg('customerId', () => ID) customerId: string,
    @Args(() => MovementListArgs) args: MovementListArgs,
    @Ctx() ctx: Context,
  ) {
    assertCanRead(ctx.principal, customerId);
    await ctx.services.customers.assertExists(customerId);
    return historyPage(
      ctx,
      await ctx.services.ledger.listMovements(
        customerId,
        { currency: args.currency, types: args.types },
        args,
      ),
    );
  }

  @Query(() => InvoiceConnection)
  async invoices(
    @Arg('customerId', () => ID) customerId: string,
    @Args(() => ForwardPageArgs) args: ForwardPageArgs,
    @Ctx() ctx: Context,
  ) {
    assertCanRead(ctx.principal, customerId);
    await ctx.services.customers.assertExists(customerId);
    return toConnection(await ctx.services.invoices.list(customerId, args), toInvoice);
  }
}

@Resolver()
export class LedgerMutationResolver {
  @Mutation(() => CreditGrantType)
  @UseMiddleware(AdminOnly)
  async createCreditGrant(
    @Arg('input', () => CreateCreditGrantInput) input: CreateCreditGrantInput,
    @Ctx() ctx: Context,
  ) {
    return (await mapGrants(ctx, [await ctx.services.ledger.createGrant(input)]))[0]!;
  }

  @Mutation(() => InvoiceType)
  @UseMiddleware(AdminOnly)
  async updateInvoicePaymentStatus(
    @Arg('invoiceId', () => ID) invoiceId: string,
    @Arg('status', () => PaymentStatus) status: PaymentStatus,
    @Ctx() ctx: Context,
  ) {
    return toInvoice(await ctx.services.ledger.updateInvoicePaymentStatus(invoiceId, status));
  }

  @Mutation(() => CreditGrantType)
  @UseMiddleware(AdminOnly)
  async updateExternalSettlement(
    @Arg('grantId', () => ID) grantId: string,
    @Arg('status', () => PaymentStatus) status: PaymentStatus,
    @Ctx() ctx: Context,
  ) {
    return (await mapGrants(ctx, [await ctx.services.ledger.updateExternalSettlement(grantId, status)]))[0]!;
  }

  @Mutation(() => CreditGrantType, {
    description: 'Voids PENDING or ACTIVE grants; voiding a voided grant returns it unchanged.',
  })
  @UseMiddleware(AdminOnly)
  async voidCreditGrant(
    @Arg('grantId', () => ID) grantId: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
    @Ctx() ctx: Context,
  ) {
    return (await mapGrants(ctx, [await ctx.services.ledger.voidGrant(grantId, reason)]))[0]!;
  }

  @Mutation(() => CreditMovementType)
  @UseMiddleware(AdminOnly)
  async adjustCredits(
    @Arg('input', () => AdjustCreditsInput) input: AdjustCreditsInput,
    @Ctx() ctx: Context,
  ) {
    return (await mapMovements(ctx, [await ctx.services.ledger.adjustCredits(input)]))[0]!;
  }
}

@Resolver(() => CustomerType)
export class CustomerLedgerResolver {
  @FieldResolver(() => [CreditBalanceType])
  async creditBalances(
    @Root() c: CustomerType,
    @Arg('currency', () => String, { nullable: true }) currency: string | null,
    @Ctx() ctx: Context,
  ) {
    return (await ctx.services.ledger.balances(c.id, currency)).map(toBalance);
  }

  @FieldResolver(() => CreditGrantConnection)
  async creditGrants(
    @Root() c: CustomerType,
    @Args(() => GrantListArgs) args: GrantListArgs,
    @Ctx() ctx: Context,
  ) {
    return pageOf(
      ctx,
      await ctx.services.ledger.listGrants(c.id, { currency: args.currency, status: args.status }, args),
      mapGrants,
    );
  }

  @FieldResolver(() => CreditMovementConnection)
  async creditTransactions(
    @Root() c: CustomerType,
    @Args(() => MovementListArgs) args: MovementListArgs,
    @Ctx() ctx: Context,
  ) {
    return historyPage(
      ctx,
      await ctx.services.ledger.listMovements(c.id, { currency: args.currency, types: args.types }, args),
    );
  }
}

@Resolver(() => CreditGrantType)
export class CreditGrantResolver {
  @FieldResolver(() => CustomerType)
  async customer(@Root() g: CreditGrantType, @Ctx() ctx: Context) {
    return toCustomer((await ctx.loaders.customer.load(g.customerId))!);
  }

  @FieldResolver(() => InvoiceType, { nullable: true })
  async invoice(@Root() g: CreditGrantType, @Ctx() ctx: Context) {
    if (!g.invoiceId) return null;
    const i = await ctx.loaders.invoice.load(g.invoiceId);
    return i ? toInvoice(i) : null;
  }

  @FieldResolver(() => PlanSubscriptionType, {
    nullable: true,
    description: 'The subscription that caused this grant, if any.',
  })
  async subscription(@Root() g: CreditGrantType, @Ctx() ctx: Context) {
    if (!g.subscriptionId) return null;
    const s = await ctx.loaders.subscription.load(g.subscriptionId);
    return s ? toSubscription(s) : null;
  }

  @FieldResolver(() => CreditGrantType, {
    nullable: true,
    description: 'For a ROLLOVER grant: the grant whose unused credit it carries.',
  })
  async rolledFrom(@Root() g: CreditGrantType, @Ctx() ctx: Context) {
    if (!g.rolledFromId) return null;
    const r = await ctx.loaders.grant.load(g.rolledFromId);
    return r ? (await mapGrants(ctx, [r]))[0]! : null;
  }
}

/** A grant a movement or allocation references by foreign key, when only its id is asked for. */
function grantReference(id: string): CreditGrantType {
  return Object.assign(new CreditGrantType(), { id });
}

/**
 * A grant referenced by foreign key: with only its id asked for, the reference at once (no promise: a page
 * of history resolves this 20–40 times, and graphql-jit completes a plain value without a microtask);
 * otherwise the row, loaded.
 */
function referencedGrant(
  grantId: string | null,
  ctx: Context,
  info: GraphQLResolveInfo,
): CreditGrantType | null | Promise<CreditGrantType | null> {
  if (!grantId) return null;
  if (selectsOnlyId(info)) return grantReference(grantId);
  return ctx.loaders.grant.load(grantId).then(async (g) => (g ? (await mapGrants(ctx, [g]))[0]! : null));
}

@Resolver(() => CreditMovementType)
export class CreditMovementResolver {
  @FieldResolver(() => CreditGrantType, { nullable: true })
  grant(@Root() m: CreditMovementType, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo) {
    return referencedGrant(m.grantId, ctx, info);
  }

  @FieldResolver(() => [GrantAllocationType])
  allocations(
    @Root() m: CreditMovementType,
    @Ctx() ctx: Context,
  ): GrantAllocationType[] | Promise<GrantAllocationType[]> {
    const toType = (rows: readonly AllocationEntity[]) => rows.map((a) => toAllocation(a, m.scale));
    if (m.allocationRows) return toType(m.allocationRows);
    return ctx.loaders.allocations.load(m.id).then(toType);
  }

  @FieldResolver(() => CreditMovementType, {
    nullable: true,
    description: 'The CONSUMED movement a CORRECTED one gives back.',
  })
  async corrects(@Root() m: CreditMovementType, @Ctx() ctx: Context) {
    if (!m.correctsId) return null;
    const c = await ctx.loaders.movement.load(m.correctsId);
    return c ? (await mapMovements(ctx, [c]))[0]! : null;
  }
}

@Resolver(() => GrantAllocationType)
export class GrantAllocationResolver {
  @FieldResolver(() => CreditGrantType, { nullable: true })
  grant(@Root() a: GrantAllocationType, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo) {
    return referencedGrant(a.grantId, ctx, info);
  }
}

@Resolver(() => InvoiceType)
export class InvoiceResolver {
  @FieldResolver(() => CustomerType)
  async customer(@Root() i: InvoiceType, @Ctx() ctx: Context) {
    return toCustomer((await ctx.loaders.customer.load(i.customerId))!);
  }
}
