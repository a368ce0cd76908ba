import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import { assertCanRead } from '../../modules/access';
import type { HoldRow } from '../../modules/ledger';
import { formatDecimal } from '../../money';
import { withCurrencies, type Context } from '../context';
import { AdminOnly } from '../guards';
import { DecimalScalar } from '../scalars';
import { toCurrency } from '../types/catalog';
import { toConnection } from '../types/common';
import { CustomerType, toCustomer } from '../types/customers';
import {
  CaptureCreditHoldInput,
  CreditCheckType,
  CreditForecastType,
  CreditHoldConnection,
  CreditHoldType,
  HoldStatus,
  ReserveCreditsInput,
  toHold,
} from '../types/holds';
import { CreditMovementType, GrantAllocationType } from '../types/ledger';
import { ForwardPageArgs } from './catalog';
import { mapGrants, mapMovements } from './ledger';

@ArgsType()
export class HoldListArgs extends ForwardPageArgs {
  @Field(() => String, { nullable: true }) currency?: string | null;
  @Field(() => [HoldStatus], { nullable: true }) status?: HoldStatus[] | null;
}

export function mapHolds(ctx: Context, holds: HoldRow[]): Promise<CreditHoldType[]> {
  return withCurrencies(ctx, holds, (h, c) => toHold(h, c, ctx.now));
}

@Resolver()
export class HoldsQueryResolver {
  @Query(() => CreditCheckType, {
    description:
      'Whether credits cover `quantity` (default 1) more of a feature now; reads only. Customer tokens may check their own customer.',
  })
  async checkCredits(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('featureKey') featureKey: string,
    @Arg('quantity', () => DecimalScalar, { nullable: true }) quantity: string | null,
    @Ctx() ctx: Context,
  ): Promise<CreditCheckType> {
    assertCanRead(ctx.principal, customerId);
    const r = await ctx.services.holds.check(customerId, featureKey, quantity ?? '1');
    const scale = r.currency?.scale ?? 0;
    const fmt = (d: Parameters<typeof formatDecimal>[0]) => formatDecimal(d, scale);
    return {
      allowed: r.allowed,
      reason: r.reason,
      currency: r.currency ? toCurrency(r.currency) : null,
      settlementMode: r.settlementMode,
      cost: fmt(r.cost),
      available: fmt(r.available),
      allocations: r.allocations.map((a) =>
        Object.assign(new GrantAllocationType(), { grantId: a.grantId, amount: fmt(a.amount) }),
      ),
      uncovered: fmt(r.uncovered),
    };
  }
}

@Resolver()
export class HoldsMutationResolver {
  @Mutation(() => CreditHoldType, {
    description:
      'Reserves credit until captured, released or expired; INSUFFICIENT_CREDITS when pending is smaller.',
  })
  @UseMiddleware(AdminOnly)
  async reserveCredits(
    @Arg('input', () => ReserveCreditsInput) input: ReserveCreditsInput,
    @Ctx() ctx: Context,
  ) {
    return (await mapHolds(ctx, [await ctx.services.holds.reserve(input)]))[0]!;
  }

  @Mutation(() => CreditHoldType, {
    description:
      "Books all or part of a HELD hold as a CREDIT_ONLY one-off charge with the hold's description; the rest is released.",
  })
  @UseMiddleware(AdminOnly)
  async captureCreditHold(
    @Arg('input', () => CaptureCreditHoldInput) input: CaptureCreditHoldInput,
    @Ctx() ctx: Context,
  ) {
    return (await mapHolds(ctx, [await ctx.services.holds.capture(input)]))[0]!;
  }

  @Mutation(() => CreditHoldType, {
    description: 'Frees a HELD hold; a released or expired hold is returned unchanged.',
  })
  @UseMiddleware(AdminOnly)
  async releaseCreditHold(@Arg('holdId', () => ID) holdId: string, @Ctx() ctx: Context) {
    return (await mapHolds(ctx, [await ctx.services.holds.release(holdId)]))[0]!;
  }
}

@Resolver(() => CustomerType)
export class CustomerHoldsResolver {
  @FieldResolver(() => CreditHoldConnection, { description: 'Newest first.' })
  async creditHolds(
    @Root() c: CustomerType,
    @Args(() => HoldListArgs) args: HoldListArgs,
    @Ctx() ctx: Context,
  ) {
    const page = await ctx.services.holds.list(c.id, { currency: args.currency, status: args.status }, args);
    const nodes = await mapHolds(ctx, page.nodes);
    return toConnection({ ...page, nodes }, (n) => n);
  }

  @FieldResolver(() => CreditForecastType)
  async creditForecast(
    @Root() c: CustomerType,
    @Arg('currency') currency: string,
    @Ctx() ctx: Context,
  ): Promise<CreditForecastType> {
    const f = await ctx.services.holds.forecast(c.id, currency);
    const grants = await ctx.loaders.grant.loadMany(f.expiring.map((e) => e.grantId));
    const mapped = await mapGrants(
      ctx,
      grants.map((g) => {
        if (!g || g instanceof Error) throw g ?? new Error('an expiring grant is missing');
        return g;
      }),
    );
    return {
      currency: toCurrency(f.currency),
      expiring: f.expiring.map((e, i) => ({
        grant: mapped[i]!,
        at: e.at,
        amount: formatDecimal(e.amount, f.currency.scale),
      })),
      burnRatePerDay: formatDecimal(f.burnRatePerDay, f.currency.scale),
      runOutAt: f.runOutAt,
    };
  }
}

@Resolver(() => CreditHoldType)
export class CreditHoldResolver {
  @FieldResolver(() => CustomerType)
  async customer(@Root() h: CreditHoldType, @Ctx() ctx: Context) {
    return toCustomer((await ctx.loaders.customer.load(h.customerId))!);
  }

  @FieldResolver(() => CreditMovementType, {
    nullable: true,
    description: 'The CONSUMED movement booked when the hold was captured.',
  })
  async movement(@Root() h: CreditHoldType, @Ctx() ctx: Context) {
    if (!h.movementId) return null;
    const m = await ctx.loaders.movement.load(h.movementId);
    return m ? (await mapMovements(ctx, [m]))[0]! : null;
  }
}
