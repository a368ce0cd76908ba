import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { Dec, formatDecimal } from '../../money';
import type { LedgerService } from '../ledger';
import { SubscriptionEntity, isActiveAt } from '../subscriptions';
import { allocationDuration } from './allocations';
import { rolloverOf } from './rollover-rule';

interface CandidateRow {
  id: string;
  ledger_id: string;
  customer_id: string;
  currency: string;
  scale: number;
  subscription_id: string;
  priority: number;
  expires_at: Date;
  expired_at: Date | null;
  rollover_cap: string;
  cadence: string;
  /** What the EXPIRED movement took (positive); null while the expiry is not booked yet. */
  remainder: string | null;
}

/**
 * Rollover (SPEC §14). The ledger books an allocation grant's expiry like any other (its due work, EXPIRED of
 * the whole remainder at expiresAt); this service then finds expired ALLOCATION grants whose allocation has a
 * positive `rolloverCap`, whose subscription was active at the expiry and that have no ROLLOVER grant yet,
 * and makes one through the ledger's grant creation with `rolledFromId` (answered by the existing grant when
 * another process made it first; a unique index backs it). What rolls is the pure `rolloverOf` rule. A grant
 * whose expiry took nothing has no EXPIRED movement and is never a candidate.
 */
export class RolloverService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly ledger: LedgerService,
  ) {}

  private async candidates(now: Date, limit: number): Promise<CandidateRow[]> {
    // the subscription test narrows the candidates; isActiveAt below decides
    return this.em.execute<CandidateRow[]>(
      `select g.id, g.ledger_id, g.customer_id, c.code as currency, c.scale, g.subscription_id, g.priority,
              g.expires_at, g.expired_at, a.rollover_cap::text as rollover_cap, a.cadence,
              (select (-m.amount)::text from movement m
                where m.grant_id = g.id and m.type = 'EXPIRED' limit 1) as remainder
         from credit_grant g
         join plan_credit_allocation a on a.id = split_part(g.allocation_key, ':', 2)
         join subscription s on s.id = g.subscription_id
         join currency c on c.id = g.currency_id
        where g.origin = 'ALLOCATION' and g.expires_at <= ?::timestamptz and g.voided_at is null
          and a.rollover_cap > 0
          and s.active_from <= g.expires_at and (s.active_to is null or g.expires_at < s.active_to)
          and not exists (select 1 from credit_grant r where r.rolled_from_id = g.id)
          and (g.expired_at is null
               or exists (select 1 from movement m where m.grant_id = g.id and m.type = 'EXPIRED'))
        order by g.expires_at, g.id
        limit ?`,
      [now.toISOString(), limit],
    );
  }

  /** Makes the rollovers due now (at most `limit`); answers how many it saw through. */
  async rollDue(limit = 200): Promise<number> {
    const now = this.clock.now();
    let rows = await this.candidates(now, limit);
    // an expiry not booked yet: the ledger's due work books it (and its remainder) first
    const unbooked = new Set(rows.filter((r) => r.expired_at === null).map((r) => r.ledger_id));
    for (const ledgerId of unbooked) await this.ledger.bookDue(ledgerId);
    if (unbooked.size > 0) rows = await this.candidates(now, limit);
    const subs = await this.em.fork().find(SubscriptionEntity, {
      id: { $in: [...new Set(rows.map((r) => r.subscription_id))] },
    });
    const subById = new Map(subs.map((s) => [s.id, s]));
    let made = 0;
    for (const row of rows) {
      const sub = subById.get(row.subscription_id);
      if (row.remainder === null || !sub) continue;
      const expiredAt = new Date(row.expires_at);
      const draft = rolloverOf({
        source: 'ALLOCATION',
        remainder: new Dec(row.remainder),
        rolloverCap: new Dec(row.rollover_cap),
        expiredAt,
        cadence: allocationDuration(row.cadence),
        subscriptionActive: isActiveAt(sub, expiredAt),
      });
      if (!draft) continue;
      await this.ledger.createGrantId(
        {
          customerId: row.customer_id,
          currency: row.currency,
          amount: formatDecimal(draft.amount, row.scale),
          fundingMethod: 'PROMOTIONAL',
          name: 'Rolled-over allocation',
          priority: row.priority,
          effectiveAt: draft.effectiveAt,
          expiresAt: draft.expiresAt,
          origin: 'ROLLOVER',
          subscriptionId: row.subscription_id,
          rolledFromId: row.id,
          fundedAt: draft.effectiveAt,
        },
        { scope: 'rollover' },
      );
      made++;
    }
    return made;
  }

  /** The next expiry of an allocation grant not yet booked: when a rollover may next be due. */
  async nextExpiry(): Promise<Date | null> {
    const rows = await this.em.execute<{ at: Date | null }[]>(
      `select min(expires_at) as at from credit_grant
        where origin = 'ALLOCATION' and expired_at is null and voided_at is null and expires_at > ?::timestamptz`,
      [this.clock.now().toISOString()],
    );
    return rows[0]?.at ? new Date(rows[0].at) : null;
  }
}
