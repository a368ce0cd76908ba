import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import { DomainError } from '../../core/errors';
import { DEFAULT_TOKEN_TTL_SECONDS, assertCanRead } from '../../modules/access';
import { billingPeriod, subscriptionStatus } from '../../modules/subscriptions';
import type { Context } from '../context';
import { AdminOnly } from '../guards';
import { PlanType, toPlan } from '../types/catalog';
import { SettlementMode, SubscriptionStatus, toConnection } from '../types/common';
import {
  BillingPeriodType,
  CreateCustomerInput,
  CreateSubscriptionInput,
  CustomerConnection,
  CustomerTokenType,
  CustomerType,
  PlanSubscriptionType,
  UpdateCustomerInput,
  toCustomer,
  toSubscription,
} from '../types/customers';
import { ForwardPageArgs } from './catalog';

@Resolver(() => CustomerType)
export class CustomerResolver {
  @Query(() => CustomerConnection, {
    description: 'Admin only. Newest first; search matches key, name or email.',
  })
  @UseMiddleware(AdminOnly)
  async customers(
    @Arg('search', () => String, { nullable: true }) search: string | null,
    @Args(() => ForwardPageArgs) page: ForwardPageArgs,
    @Ctx() ctx: Context,
  ) {
    return toConnection(await ctx.services.customers.list(search, page), toCustomer);
  }

  @Query(() => CustomerType, { nullable: true, description: 'By id or by key.' })
  async customer(
    @Arg('id', () => ID, { nullable: true }) id: string | null,
    @Arg('key', () => String, { nullable: true }) key: string | null,
    @Ctx() ctx: Context,
  ): Promise<CustomerType | null> {
    const c =
      id != null
        ? await ctx.services.customers.byId(id)
        : key != null
          ? await ctx.services.customers.byKey(key)
          : null;
    if (ctx.principal.kind === 'customer' && (!c || c.id !== ctx.principal.customerId)) {
      throw DomainError.notFound('Customer', id ?? key ?? '');
    }
    return c ? toCustomer(c) : null;
  }

  @Mutation(() => CustomerType)
  @UseMiddleware(AdminOnly)
  async createCustomer(
    @Arg('input', () => CreateCustomerInput) input: CreateCustomerInput,
    @Ctx() ctx: Context,
  ) {
    return toCustomer(await ctx.services.customers.create(input));
  }

  @Mutation(() => CustomerType)
  @UseMiddleware(AdminOnly)
  async updateCustomer(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateCustomerInput) input: UpdateCustomerInput,
    @Ctx() ctx: Context,
  ) {
    return toCustomer(await ctx.services.customers.update(id, input));
  }

  @Mutation(() => CustomerTokenType, {
    description: 'A signed token that may only read this customer and subscribe to its updates.',
  })
  @UseMiddleware(AdminOnly)
  async issueCustomerToken(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('ttlSeconds', () => Int, { nullable: true }) ttlSeconds: number | null,
    @Ctx() ctx: Context,
  ): Promise<CustomerTokenType> {
    const customer = await ctx.services.customers.require(customerId);
    return ctx.services.access.issueCustomerToken(customer.id, ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
  }

  @FieldResolver(() => [String], {
    description: 'Usage subjects that are this customer; its key is always one.',
  })
  async subjectKeys(@Root() c: CustomerType, @Ctx() ctx: Context): Promise<string[]> {
    return ctx.loaders.subjectKeys.load(c.id);
  }

  @FieldResolver(() => [PlanSubscriptionType])
  async subscriptions(@Root() c: CustomerType, @Ctx() ctx: Context): Promise<PlanSubscriptionType[]> {
    return (await ctx.loaders.subscriptionsByCustomer.load(c.id)).map(toSubscription);
  }
}

@Resolver(() => PlanSubscriptionType)
export class SubscriptionResolver {
  @Mutation(() => PlanSubscriptionType)
  @UseMiddleware(AdminOnly)
  async createSubscription(
    @Arg('input', () => CreateSubscriptionInput) input: CreateSubscriptionInput,
    @Ctx() ctx: Context,
  ) {
    return toSubscription(await ctx.services.purchases.subscribe(input));
  }

  @Mutation(() => PlanSubscriptionType, { description: 'Ends the subscription at `at` (default now).' })
  @UseMiddleware(AdminOnly)
  async cancelSubscription(
    @Arg('id', () => ID) id: string,
    @Arg('at', () => Date, { nullable: true }) at: Date | null,
    @Ctx() ctx: Context,
  ) {
    return toSubscription(await ctx.services.subscriptions.cancel(id, at));
  }

  @FieldResolver(() => CustomerType)
  async customer(@Root() s: PlanSubscriptionType, @Ctx() ctx: Context): Promise<CustomerType> {
    assertCanRead(ctx.principal, s.customerId);
    return toCustomer((await ctx.loaders.customer.load(s.customerId))!);
  }

  @FieldResolver(() => PlanType)
  async plan(@Root() s: PlanSubscriptionType, @Ctx() ctx: Context): Promise<PlanType> {
    return toPlan((await ctx.loaders.plan.load(s.planId))!);
  }

  @FieldResolver(() => SubscriptionStatus)
  status(@Root() s: PlanSubscriptionType, @Ctx() ctx: Context): SubscriptionStatus {
    return subscriptionStatus(s.entity, ctx.now);
  }

  @FieldResolver(() => SettlementMode, { description: "The subscription's own mode, else its plan's." })
  async settlementMode(@Root() s: PlanSubscriptionType, @Ctx() ctx: Context): Promise<SettlementMode> {
    if (s.settlementModeOverride) return s.settlementModeOverride;
    return (await ctx.loaders.plan.load(s.planId))!.settlementMode;
  }

  @FieldResolver(() => BillingPeriodType, {
    nullable: true,
    description: 'The billing period running now, if active.',
  })
  async currentPeriod(
    @Root() s: PlanSubscriptionType,
    @Ctx() ctx: Context,
  ): Promise<BillingPeriodType | null> {
    const plan = await ctx.loaders.plan.load(s.planId);
    if (!plan) throw DomainError.notFound('Plan', s.planId);
    return billingPeriod(s.entity, plan, ctx.now);
  }
}
