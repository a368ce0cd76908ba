import { Arg, Ctx, ID, Query, Resolver, UseMiddleware } from 'type-graphql';
import type { Context } from '../context';
import { AdminOnly } from '../guards';
import { LedgerReconciliationType, toReconciliation } from '../types/reconcile';

@Resolver()
export class ReconcileResolver {
  @Query(() => LedgerReconciliationType, {
    description:
      "Admin only. Recomputes every ledger (or one customer's) from its movements, allocations and grants and lists any drift.",
  })
  @UseMiddleware(AdminOnly)
  async reconcileLedgers(
    @Arg('customerId', () => ID, { nullable: true }) customerId: string | null,
    @Ctx() ctx: Context,
  ): Promise<LedgerReconciliationType> {
    if (customerId != null) await ctx.services.customers.assertExists(customerId);
    const report = await ctx.services.reconcile.run(customerId ?? null);
    return toReconciliation(report);
  }
}
