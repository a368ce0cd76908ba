import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import type { Context } from '../context';
import { AdminOnly } from '../guards';
import {
  CreateCurrencyInput,
  CreateFeatureInput,
  CreatePlanInput,
  CurrencyType,
  FeatureType,
  PlanConnection,
  PlanType,
  RateCardType,
  toCurrency,
  toFeature,
  toPlan,
  toRateCard,
} from '../types/catalog';
import { PlanStatus, toConnection } from '../types/common';
import {
  CreditAllocationType,
  CreditPurchaseRulesType,
  toCreditAllocation,
  toCreditPurchase,
} from '../types/programs';

@ArgsType()
export class ForwardPageArgs {
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@Resolver(() => CurrencyType)
export class CurrencyResolver {
  @Query(() => [CurrencyType])
  async currencies(@Ctx() ctx: Context): Promise<CurrencyType[]> {
    return (await ctx.services.catalog.listCurrencies()).map(toCurrency);
  }

  @Mutation(() => CurrencyType)
  @UseMiddleware(AdminOnly)
  async createCurrency(
    @Arg('input', () => CreateCurrencyInput) input: CreateCurrencyInput,
    @Ctx() ctx: Context,
  ) {
    return toCurrency(await ctx.services.catalog.createCurrency(input));
  }
}

@Resolver(() => FeatureType)
export class FeatureResolver {
  @Query(() => [FeatureType])
  async features(@Ctx() ctx: Context): Promise<FeatureType[]> {
    return (await ctx.services.catalog.listFeatures()).map(toFeature);
  }

  @Mutation(() => FeatureType)
  @UseMiddleware(AdminOnly)
  async createFeature(
    @Arg('input', () => CreateFeatureInput) input: CreateFeatureInput,
    @Ctx() ctx: Context,
  ) {
    return toFeature(await ctx.services.catalog.createFeature(input));
  }
}

@Resolver(() => PlanType)
export class PlanResolver {
  @Query(() => PlanConnection)
  async plans(
    @Arg('status', () => [PlanStatus], { nullable: true }) status: PlanStatus[] | null,
    @Args(() => ForwardPageArgs) page: ForwardPageArgs,
    @Ctx() ctx: Context,
  ) {
    return toConnection(await ctx.services.catalog.listPlans(status, page), toPlan);
  }

  @Query(() => PlanType, {
    nullable: true,
    description:
      'By id, or by key (the given version, else the latest published version, else the latest draft).',
  })
  async plan(
    @Arg('id', () => ID, { nullable: true }) id: string | null,
    @Arg('key', () => String, { nullable: true }) key: string | null,
    @Arg('version', () => Int, { nullable: true }) version: number | null,
    @Ctx() ctx: Context,
  ): Promise<PlanType | null> {
    const plan =
      id != null
        ? await ctx.services.catalog.planById(id)
        : key != null
          ? await ctx.services.catalog.planByKey(key, version)
          : null;
    return plan ? toPlan(plan) : null;
  }

  @Mutation(() => PlanType)
  @UseMiddleware(AdminOnly)
  async createPlan(@Arg('input', () => CreatePlanInput) input: CreatePlanInput, @Ctx() ctx: Context) {
    return toPlan(await ctx.services.catalog.createPlan(input));
  }

  @Mutation(() => PlanType)
  @UseMiddleware(AdminOnly)
  async publishPlan(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return toPlan(await ctx.services.catalog.publishPlan(id));
  }

  @Mutation(() => PlanType)
  @UseMiddleware(AdminOnly)
  async archivePlan(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return toPlan(await ctx.services.catalog.archivePlan(id));
  }

  @FieldResolver(() => CurrencyType)
  async currency(@Root() plan: PlanType, @Ctx() ctx: Context): Promise<CurrencyType> {
    return toCurrency((await ctx.loaders.currency.load(plan.currencyId))!);
  }

  @FieldResolver(() => [RateCardType])
  async rateCards(@Root() plan: PlanType, @Ctx() ctx: Context): Promise<RateCardType[]> {
    return (await ctx.loaders.rateCards.load(plan.id)).map((rc) => toRateCard(rc, plan));
  }

  @FieldResolver(() => [CreditAllocationType])
  async creditAllocations(@Root() plan: PlanType, @Ctx() ctx: Context): Promise<CreditAllocationType[]> {
    const [allocations, currency] = await Promise.all([
      ctx.loaders.creditAllocations.load(plan.id),
      ctx.loaders.currency.load(plan.currencyId),
    ]);
    return allocations.map((a) => toCreditAllocation(a, currency!));
  }

  @FieldResolver(() => CreditPurchaseRulesType, { nullable: true })
  async creditPurchase(@Root() plan: PlanType, @Ctx() ctx: Context): Promise<CreditPurchaseRulesType | null> {
    if (plan.entity.creditPurchaseCurrency === null) return null;
    return toCreditPurchase(plan.entity, (await ctx.loaders.currency.load(plan.currencyId))!);
  }
}

@Resolver(() => RateCardType)
export class RateCardResolver {
  @FieldResolver(() => FeatureType)
  async feature(@Root() rc: RateCardType, @Ctx() ctx: Context): Promise<FeatureType> {
    return toFeature((await ctx.loaders.feature.load(rc.featureId))!);
  }
}
