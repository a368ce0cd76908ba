import { Dec } from '../money';
import { alertViews, type CreditBalanceAlertView } from '../modules/alerts';
import type { BalanceView, MovementEntity } from '../modules/ledger';
import { CursorListener } from './outbox-feed';
import { PerEvent } from './shared';

/** One update of `creditBalanceAlerts`: a crossing of the settled balance. */
export type AlertUpdate = CreditBalanceAlertView;

/** Thresholds read once per balances read: every alert subscriber of a customer shares one read. */
const thresholdsOfRead = new PerEvent<Map<string, BalanceView>, Promise<Map<string, Dec[]>>>();

export class AlertListener extends CursorListener<AlertUpdate> {
  protected async deliver(row: MovementEntity, balances: Map<string, BalanceView>): Promise<void> {
    const b = balances.get(row.currencyId)!;
    const all = thresholdsOfRead.get(balances, () => {
      const read = this.source.reads.thresholds(this.customerId);
      read.catch(() => thresholdsOfRead.forget(balances));
      return read;
    });
    const thresholds = (await all).get(row.currencyId) ?? [];
    const movement = {
      balanceBefore: new Dec(row.balanceBefore),
      balanceAfter: new Dec(row.balanceAfter),
      bookedAt: row.bookedAt,
    };
    for (const a of alertViews(this.customerId, b.currency, movement, thresholds)) this.queue.push(a);
  }
}
