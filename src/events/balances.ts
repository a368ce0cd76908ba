import { Dec, formatDecimal } from '../money';
import type { CurrencyEntity } from '../modules/catalog';
import type { BalanceView, MovementEntity } from '../modules/ledger';
import { CursorListener } from './outbox-feed';
import type { LedgerMark } from './reads';
import { PerEvent } from './shared';

/** One update of `creditBalanceChanged`: a committed movement and the balance after it, or a pending-only change. */
export interface BalanceUpdate {
  customerId: string;
  ledgerId: string;
  currency: CurrencyEntity;
  sequence: number;
  balance: BalanceView;
  movement: MovementEntity | null;
}

/**
 * One update object per movement row the feed read: every dashboard of the customer gets the same object,
 * so each distinct subscription document is executed once for all of them (see shared.ts).
 */
const updateOfRow = new PerEvent<MovementEntity, BalanceUpdate>();

export class BalanceListener extends CursorListener<BalanceUpdate> {
  private readonly lastSettled = new Map<string, string>();
  protected override readonly synchronous = true;

  protected deliver(row: MovementEntity, balances: Map<string, BalanceView>): void {
    const update = updateOfRow.get(row, () => {
      const b = balances.get(row.currencyId)!;
      return {
        customerId: this.customerId,
        ledgerId: row.ledgerId,
        currency: b.currency,
        sequence: row.sequence,
        balance: { ...b, settled: formatDecimal(new Dec(row.balanceAfter), b.currency.scale) },
        movement: row,
      };
    });
    this.lastPending.set(row.currencyId, update.balance.pending);
    this.lastSettled.set(row.currencyId, update.balance.settled);
    this.queue.push(update);
  }

  override pending(balances: Map<string, BalanceView>, ledgers: Map<string, LedgerMark>): void {
    this.enqueue(async () => {
      for (const [currencyId, b] of balances) {
        if (!this.wants(currencyId) || this.lastPending.get(currencyId) === b.pending) continue;
        // a settled figure we have not sent means a movement is on its way; it will carry this pending
        const sent = this.lastSettled.get(currencyId);
        if (sent !== undefined && sent !== b.settled) continue;
        this.lastPending.set(currencyId, b.pending);
        const ledger = ledgers.get(currencyId)!;
        this.queue.push({
          customerId: this.customerId,
          ledgerId: ledger.id,
          currency: b.currency,
          sequence: this.cursor.get(ledger.id) ?? ledger.lastSequence,
          balance: b,
          movement: null,
        });
      }
    });
  }

  /** The pending figures as of subscribing, so the first pending-only update is a real change. */
  seedPending(balances: Map<string, BalanceView>): void {
    for (const [currencyId, b] of balances) {
      this.lastPending.set(currencyId, b.pending);
      this.lastSettled.set(currencyId, b.settled);
    }
  }
}
