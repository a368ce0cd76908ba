import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { inTransaction } from '../shared/tx';
import { LedgerTx } from './booking';
import { LedgerEntity } from './entities';
import { dueWorkSql } from './grant-sql';

/**
 * Due work in the background: the `ledger_due` job books one ledger at the instant a grant becomes
 * effective or expires, the sweep finds what those jobs missed, and old outbox rows are pruned.
 */
export class DueWork {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  /** Books everything due on one ledger now: fundings at their effective instant, expiries at expiresAt. */
  async bookDue(ledgerId: string): Promise<number> {
    const ledger = await this.em.findOne(LedgerEntity, { id: ledgerId });
    if (!ledger) return 0;
    const now = this.clock.now();
    return inTransaction(this.em, async (em) => {
      const tx = await LedgerTx.open(em, ledger.customerId, ledger.currencyId);
      const booked = tx.bookDue(now);
      await tx.flush();
      return booked.length;
    });
  }

  /** Ledgers with due work: the safety net behind the per-grant scheduled jobs. */
  async ledgersWithDueWork(limit = 500): Promise<string[]> {
    // one branch per partial index; their union is every grant `dueSteps` would book (grant-sql.ts)
    const branches = dueWorkSql(() => 'now()');
    const rows = await this.em.execute<{ ledger_id: string }[]>(
      `select distinct ledger_id from (
         ${branches.map((b) => `(select g.ledger_id from credit_grant g where ${b} limit ?)`).join('\n union all ')}
       ) due`,
      branches.map(() => limit),
    );
    return rows.map((r) => r.ledger_id);
  }

  /** Deletes outbox rows older than the retention; the movements themselves stay forever. */
  async pruneOutbox(retentionMs: number): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - retentionMs);
    const rows = await this.em.execute<{ n: number }[]>(
      `with gone as (delete from outbox where created_at < ? returning 1) select count(*)::int as n from gone`,
      [cutoff.toISOString()],
    );
    return rows[0]?.n ?? 0;
  }
}
