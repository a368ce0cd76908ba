import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root, UseMiddleware } from 'type-graphql';
import { withCurrencies, type Context } from '../context';
import { AdminOnly } from '../guards';
import { CustomerType } from '../types/customers';
import { AutoTopUpType, SetAutoTopUpInput, toAutoTopUp } from '../types/top-ups';

/** Auto top-up (SPEC §14): the rules are set by an admin; a customer token may read its own. */
@Resolver()
export class TopUpMutationResolver {
  @Mutation(() => AutoTopUpType, {
    description:
      'Sets the one auto top-up rule of a (customer, currency): below threshold, a grant of amount (or up to targetBalance) is bought.',
  })
  @UseMiddleware(AdminOnly)
  async setAutoTopUp(@Arg('input', () => SetAutoTopUpInput) input: SetAutoTopUpInput, @Ctx() ctx: Context) {
    const rule = await ctx.services.topUps.set(input);
    return (await withCurrencies(ctx, [rule], toAutoTopUp))[0]!;
  }
}

@Resolver(() => CustomerType)
export class CustomerTopUpResolver {
  @FieldResolver(() => [AutoTopUpType])
  async autoTopUps(@Root() c: CustomerType, @Ctx() ctx: Context) {
    return withCurrencies(ctx, await ctx.loaders.autoTopUps.load(c.id), toAutoTopUp);
  }
}
