import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root, UseMiddleware } from 'type-graphql';
import { assertCanRead } from '../../modules/access';
import { creditPriceOf } from '../../modules/subscriptions';
import { Dec } from '../../money';
import type { Context } from '../context';
import { AdminOnly } from '../guards';
import { DecimalScalar } from '../scalars';
import { PlanSubscriptionType } from '../types/customers';
import { CreditGrantType } from '../types/ledger';
import { PurchaseCreditsInput } from '../types/purchases';
import { mapGrants } from './ledger';

/** SPEC §14 credit programs: purchases, grant expiry, a subscription's credit price. */
@Resolver()
export class ProgramMutationResolver {
  @Mutation(() => CreditGrantType, {
    description:
      "Buys credits at the subscription's credit price (an INVOICE grant, its invoice issued at once).",
  })
  async purchaseCredits(
    @Arg('input', () => PurchaseCreditsInput) input: PurchaseCreditsInput,
    @Ctx() ctx: Context,
  ): Promise<CreditGrantType> {
    // self-service: a customer token may buy for its own customer; another customer's id is NOT_FOUND
    assertCanRead(ctx.principal, input.customerId);
    return (await mapGrants(ctx, [await ctx.services.purchases.purchase(input)]))[0]!;
  }

  @Mutation(() => CreditGrantType, {
    description:
      'Moves the expiry of a PENDING or ACTIVE grant; null: never; at or before now: expires it now.',
  })
  @UseMiddleware(AdminOnly)
  async updateCreditGrantExpiry(
    @Arg('grantId', () => ID) grantId: string,
    @Arg('expiresAt', () => Date, { nullable: true }) expiresAt: Date | null,
    @Ctx() ctx: Context,
  ): Promise<CreditGrantType> {
    return (await mapGrants(ctx, [await ctx.services.ledger.updateGrantExpiry(grantId, expiresAt)]))[0]!;
  }
}

@Resolver(() => PlanSubscriptionType)
export class SubscriptionCreditResolver {
  @FieldResolver(() => DecimalScalar, {
    nullable: true,
    description: "Price of one credit for purchases under this subscription: the override, else the plan's.",
  })
  async creditUnitPrice(@Root() s: PlanSubscriptionType, @Ctx() ctx: Context): Promise<string | null> {
    const plan = await ctx.loaders.plan.load(s.planId);
    const price = plan ? creditPriceOf(s.entity, plan) : null;
    return price ? new Dec(price.unitPrice).toFixed() : null;
  }
}
