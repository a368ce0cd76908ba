import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import type { IsoDuration } from '../../core/duration';
import { parseProgramDuration } from '../catalog';
import type { LedgerService } from '../ledger';
import { duePeriods, nextPeriodStart, type AllocationTerm } from './allocations-periods';

/** An allocation cadence or expiresAfter as stored, parsed by the catalog's rule that validated it. */
export function allocationDuration(text: string): IsoDuration {
  return parseProgramDuration(text, 'allocation duration');
}

interface TermRow {
  subscription_id: string;
  customer_id: string;
  active_from: Date;
  active_to: Date | null;
  allocation_id: string;
  amount: string;
  cadence: string;
  priority: number;
  expires_after: string | null;
  currency: string;
  last_start: Date | null;
}

export interface AllocationRun {
  /** Periods this run saw through (including any another process granted at the same time). */
  granted: number;
  /** Whether it stopped at its limit with periods still due. */
  more: boolean;
  /** The next period start of any running subscription: when to run again at the latest. */
  next: Date | null;
}

/**
 * Plan credit allocations (SPEC §14): every period due gets one ALLOCATION grant, made through the ledger's
 * grant creation (`createGrantId` with the period's `allocationKey`, which answers the existing grant when
 * another process or an earlier run made it: checked under the ledger lock, backed by a unique index).
 * Periods are granted oldest first, so the latest granted period start of a (subscription, allocation) is
 * where the next run continues; a run that comes late catches up every missed period and books each one's
 * FUNDED at its period start.
 */
export class AllocationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly ledger: LedgerService,
  ) {}

  /** Every (subscription, allocation) that may have a period due by `asOf`, with its last granted period. */
  private async terms(asOf: Date): Promise<TermRow[]> {
    return this.em.execute<TermRow[]>(
      `select t.* from (
         select s.id as subscription_id, s.customer_id, s.active_from, s.active_to,
                a.id as allocation_id, a.amount::text as amount, a.cadence, a.priority, a.expires_after,
                c.code as currency,
                (select max(g.effective_at) from credit_grant g
                  where g.subscription_id = s.id and g.origin = 'ALLOCATION'
                    and starts_with(g.allocation_key, s.id || ':' || a.id || ':')) as last_start
           from subscription s
           join plan_credit_allocation a on a.plan_id = s.plan_id
           join plan p on p.id = s.plan_id
           join currency c on c.id = p.currency_id
          where s.active_from <= ?::timestamptz
       ) t
       -- an ended subscription drops out once its periods are all granted: last_start + cadence, added in
       -- UTC without the anchor's clamping, is at or before the next period start (duePeriods decides, this
       -- only narrows); one canceled before it started never had any
       where t.active_to is null
          or (t.last_start is null and t.active_to > t.active_from)
          or ((t.last_start at time zone 'UTC') + t.cadence::interval) at time zone 'UTC' < t.active_to
       order by t.subscription_id, t.allocation_id`,
      [asOf.toISOString()],
    );
  }

  /** Grants what is due now, at most `limit` periods in this run. */
  async grantDue(limit = 500): Promise<AllocationRun> {
    const now = this.clock.now();
    let granted = 0;
    let more = false;
    let next: Date | null = null;
    for (const row of await this.terms(now)) {
      const term: AllocationTerm = {
        subscriptionId: row.subscription_id,
        allocationId: row.allocation_id,
        activeFrom: new Date(row.active_from),
        activeTo: row.active_to ? new Date(row.active_to) : null,
        cadence: allocationDuration(row.cadence),
        expiresAfter: row.expires_after ? allocationDuration(row.expires_after) : null,
      };
      const upcoming = nextPeriodStart(term, now);
      if (upcoming && (next === null || upcoming < next)) next = upcoming;
      if (granted >= limit) {
        more = true;
        continue;
      }
      const after = row.last_start ? new Date(row.last_start) : null;
      for (const period of duePeriods(term, { asOf: now, after, limit: limit - granted })) {
        await this.ledger.createGrantId(
          {
            customerId: row.customer_id,
            currency: row.currency,
            amount: row.amount,
            fundingMethod: 'PROMOTIONAL',
            name: 'Plan allocation',
            priority: row.priority,
            effectiveAt: period.periodStart,
            expiresAt: period.expiresAt,
            origin: 'ALLOCATION',
            subscriptionId: row.subscription_id,
            allocationKey: period.key,
            // a late run books the credit as of the period start (SPEC §14)
            fundedAt: period.periodStart,
          },
          { scope: 'allocation' },
        );
        granted++;
      }
    }
    return { granted, more: more || granted >= limit, next };
  }
}
