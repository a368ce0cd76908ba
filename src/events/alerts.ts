import { Dec, formatDecimal } from '../money';
import { alertsFor, type AlertType } from '../modules/alerts';
import type { BalanceView, MovementEntity } from '../modules/ledger';
import { CursorListener } from './outbox-feed';
import { PerEvent } from './shared';

/** One update of `creditBalanceAlerts`: a crossing of the settled balance. */
export interface AlertUpdate {
  customerId: string;
  type: AlertType;
  currency: string;
  threshold: string | null;
  balance: string;
  at: Date;
}

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
    for (const a of alertsFor(new Dec(row.balanceBefore), new Dec(row.balanceAfter), thresholds)) {
      this.queue.push({
        customerId: this.customerId,
        type: a.type,
        currency: b.currency.code,
        threshold: a.threshold ? formatDecimal(a.threshold, b.currency.scale) : null,
        balance: formatDecimal(new Dec(row.balanceAfter), b.currency.scale),
        at: row.bookedAt,
      });
    }
  }
}
