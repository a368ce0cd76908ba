import { Arg, Ctx, ID, Int, Mutation, Resolver, Root, Subscription, UseMiddleware } from 'type-graphql';
import { DomainError } from '../../core/errors';
import type { AlertUpdate, BalanceUpdate } from '../../events/feeds';
import { assertCanRead } from '../../modules/access';
import { renewContext, type Context } from '../context';
import { AdminOnly } from '../guards';
import { DecimalScalar } from '../scalars';
import { toBalance, toMovement } from '../types/ledger';
import { CreditBalanceAlertType, CreditBalanceUpdateType, SetCreditAlertsInput } from '../types/live';

interface ChangedArgs {
  customerId: string;
  currency?: string | null;
  afterSequence?: number | null;
}

/** A subscriber may watch its own customer only; the customer must exist. */
async function authorize(ctx: Context, customerId: string): Promise<void> {
  assertCanRead(ctx.principal, customerId);
  await ctx.services.customers.assertExists(customerId);
}

@Resolver()
export class LiveResolver {
  @Subscription(() => CreditBalanceUpdateType, {
    description:
      'Every committed movement of the customer in sequence order, with the balance after it; pending-only changes (movement: null) at most 4 per second. With afterSequence, first replays every movement after it.',
    subscribe: async ({ args, context }) => {
      const a = args as ChangedArgs;
      const ctx = context as Context;
      await authorize(ctx, a.customerId);
      if (a.afterSequence != null && a.afterSequence < 0)
        throw DomainError.badInput('afterSequence must not be negative');
      return ctx.feeds.balanceUpdates(a.customerId, a.currency ?? null, a.afterSequence ?? null);
    },
  })
  creditBalanceChanged(
    @Root() u: BalanceUpdate,
    @Arg('customerId', () => ID) _customerId: string,
    @Arg('currency', () => String, { nullable: true }) _currency: string | null,
    @Arg('afterSequence', () => Int, { nullable: true }) _afterSequence: number | null,
    @Ctx() ctx: Context,
  ): CreditBalanceUpdateType {
    renewContext(ctx); // fresh loaders per update: a long-lived subscription never reads stale or grows
    return {
      customerId: u.customerId,
      sequence: u.sequence,
      balance: toBalance(u.balance),
      movement: u.movement ? toMovement(u.movement, u.currency) : null,
    };
  }

  @Subscription(() => CreditBalanceAlertType, {
    description: 'DEPLETED, DROPPED_BELOW_THRESHOLD and RECOVERED, once per crossing of the settled balance.',
    subscribe: async ({ args, context }) => {
      const a = args as { customerId: string };
      const ctx = context as Context;
      await authorize(ctx, a.customerId);
      return ctx.feeds.alerts(a.customerId);
    },
  })
  creditBalanceAlerts(
    @Root() a: AlertUpdate,
    @Arg('customerId', () => ID) _customerId: string,
  ): CreditBalanceAlertType {
    return a;
  }

  @Mutation(() => [DecimalScalar], {
    description: "Replaces the customer's alert thresholds for one currency.",
  })
  @UseMiddleware(AdminOnly)
  async setCreditAlerts(
    @Arg('input', () => SetCreditAlertsInput) input: SetCreditAlertsInput,
    @Ctx() ctx: Context,
  ) {
    await ctx.services.customers.assertExists(input.customerId);
    return ctx.services.alerts.setThresholds(input.customerId, input.currency, input.thresholds);
  }
}
