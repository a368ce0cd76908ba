import {
  Arg,
  Args,
  Ctx,
  Extensions,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import { assertCanRead } from '../../modules/access';
import { Dec, formatDecimal } from '../../money';
import type { ChargeEntity } from '../../modules/usage';
import { withCurrencies, type Context } from '../context';
import { AdminOnly, SCREENS_OWN_TEXT } from '../guards';
import { FeatureType, toFeature } from '../types/catalog';
import { toConnection } from '../types/common';
import { CustomerType, PlanSubscriptionType, toCustomer, toSubscription } from '../types/customers';
import { CreditMovementType, GrantAllocationType } from '../types/ledger';
import {
  ChargeConnection,
  ChargeStatus,
  ChargeType,
  CorrectMovementInput,
  CreateChargeInput,
  IngestUsageResultType,
  SettleChargesResultType,
  UsageEventInput,
  toCharge,
} from '../types/usage';
import { ForwardPageArgs } from './catalog';
import { mapMovements } from './ledger';

export function mapCharges(ctx: Context, charges: ChargeEntity[]): Promise<ChargeType[]> {
  return withCurrencies(ctx, charges, toCharge);
}

@Resolver(() => ChargeType)
export class ChargeResolver {
  @Query(() => ChargeConnection)
  async charges(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('status', () => [ChargeStatus], { nullable: true }) status: ChargeStatus[] | null,
    @Args(() => ForwardPageArgs) args: ForwardPageArgs,
    @Ctx() ctx: Context,
  ) {
    assertCanRead(ctx.principal, customerId);
    await ctx.services.customers.assertExists(customerId);
    const page = await ctx.services.charges.list(customerId, status, args);
    const nodes = await mapCharges(ctx, page.nodes);
    return toConnection({ ...page, nodes }, (n) => n);
  }

  @Mutation(() => IngestUsageResultType, {
    description: 'Up to 1,000 events; each is accepted, a duplicate, or rejected with a code.',
  })
  @UseMiddleware(AdminOnly)
  @Extensions({ [SCREENS_OWN_TEXT]: true }) // each event is screened alone, so one bad event fails alone
  async ingestUsage(
    @Arg('events', () => [UsageEventInput]) events: UsageEventInput[],
    @Ctx() ctx: Context,
  ): Promise<IngestUsageResultType> {
    const r = await ctx.services.usage.ingest(events);
    return { accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected };
  }

  @Mutation(() => SettleChargesResultType, {
    description: "Books what open charges owe now (one customer's, or all).",
  })
  @UseMiddleware(AdminOnly)
  async settleCharges(
    @Arg('customerId', () => ID, { nullable: true }) customerId: string | null,
    @Ctx() ctx: Context,
  ) {
    if (customerId) await ctx.services.customers.assertExists(customerId);
    const r = await ctx.services.settlement.settle(customerId);
    return Object.assign(new SettleChargesResultType(), {
      settledCharges: r.settledCharges,
      movementIds: r.movementIds,
    });
  }

  @Mutation(() => ChargeType, { description: 'A one-off charge, settled at once under the given mode.' })
  @UseMiddleware(AdminOnly)
  async createCharge(@Arg('input', () => CreateChargeInput) input: CreateChargeInput, @Ctx() ctx: Context) {
    return (await mapCharges(ctx, [await ctx.services.settlement.createCharge(input)]))[0]!;
  }

  @Mutation(() => CreditMovementType, {
    description:
      'Gives back all or part of a CONSUMED movement; see notRestored on the result for portions not restored.',
  })
  @UseMiddleware(AdminOnly)
  async correctMovement(
    @Arg('input', () => CorrectMovementInput) input: CorrectMovementInput,
    @Ctx() ctx: Context,
  ) {
    return (await mapMovements(ctx, [await ctx.services.settlement.correctMovement(input)]))[0]!;
  }

  @FieldResolver(() => CustomerType)
  async customer(@Root() c: ChargeType, @Ctx() ctx: Context) {
    return toCustomer((await ctx.loaders.customer.load(c.customerId))!);
  }

  @FieldResolver(() => FeatureType, { nullable: true })
  async feature(@Root() c: ChargeType, @Ctx() ctx: Context) {
    const f = c.featureId ? await ctx.loaders.feature.load(c.featureId) : null;
    return f ? toFeature(f) : null;
  }

  @FieldResolver(() => PlanSubscriptionType, { nullable: true })
  async subscription(@Root() c: ChargeType, @Ctx() ctx: Context) {
    const s = c.subscriptionId ? await ctx.loaders.subscription.load(c.subscriptionId) : null;
    return s ? toSubscription(s) : null;
  }
}

@Resolver(() => SettleChargesResultType)
export class SettleChargesResultResolver {
  @FieldResolver(() => [CreditMovementType], { description: 'The CONSUMED movements this run booked.' })
  async movements(@Root() r: SettleChargesResultType, @Ctx() ctx: Context): Promise<CreditMovementType[]> {
    const byId = await ctx.services.ledger.movementsByIds(r.movementIds);
    return mapMovements(
      ctx,
      r.movementIds.map((id) => byId.get(id)!),
    );
  }
}

@Resolver(() => CreditMovementType)
export class MovementChargeResolver {
  @FieldResolver(() => ChargeType, { nullable: true })
  async charge(@Root() m: CreditMovementType, @Ctx() ctx: Context) {
    const c = m.chargeId ? await ctx.loaders.charge.load(m.chargeId) : null;
    return c ? (await mapCharges(ctx, [c]))[0]! : null;
  }

  @FieldResolver(() => [GrantAllocationType], {
    nullable: true,
    description:
      'For a CORRECTED movement: the portions that were not given back (their grant expired or was voided).',
  })
  notRestored(@Root() m: CreditMovementType): GrantAllocationType[] | null {
    if (!m.details) return null;
    const list = (m.details.notRestored ?? []) as { grantId: string | null; amount: string }[];
    return list.map((n) =>
      Object.assign(new GrantAllocationType(), {
        grantId: n.grantId,
        amount: formatDecimal(new Dec(n.amount), m.scale),
      }),
    );
  }
}
