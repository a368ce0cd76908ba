import { addDuration, periodContaining, type IsoDuration } from '../../core/duration';

/**
 * Pure period arithmetic of plan credit allocations (SPEC §14). Periods are the billing periods of the
 * allocation's cadence anchored at the subscription's `activeFrom` (core/duration.ts's `periodContaining`,
 * the same code as billing periods: months added from the anchor, clamped to the month's end). A period is
 * due at its start, never before, when the subscription is active then: `activeFrom <= start < activeTo`.
 * No clock, no database: time and the last period already granted are arguments.
 */

/** One allocation of one subscription: what decides its periods. */
export interface AllocationTerm {
  subscriptionId: string;
  allocationId: string;
  /** The subscription's start: the anchor of every period. */
  activeFrom: Date;
  /** When the subscription ends (a cancellation's effective instant); null while it runs. */
  activeTo: Date | null;
  cadence: IsoDuration;
  /** How long each period's grant lasts from the period start; null: until the period ends. */
  expiresAfter: IsoDuration | null;
}

/** One period whose grant is due. */
export interface DueAllocation {
  subscriptionId: string;
  allocationId: string;
  periodStart: Date;
  periodEnd: Date;
  /** The grant's expiry: start + expiresAfter, or the period end when expiresAfter is omitted. */
  expiresAt: Date;
  /** `<subscriptionId>:<allocationId>:<periodStart ISO>`: unique in credit_grant.allocation_key. */
  key: string;
}

export function allocationKey(subscriptionId: string, allocationId: string, periodStart: Date): string {
  return `${subscriptionId}:${allocationId}:${periodStart.toISOString()}`;
}

/** Whether a period starting at `start` gets a grant: the subscription is active at that instant. */
function activeAt(term: AllocationTerm, start: Date): boolean {
  return term.activeFrom <= start && (term.activeTo === null || start < term.activeTo);
}

/** The period [start, end) that starts at `start` (a period start of this anchor and cadence). */
function periodAt(term: AllocationTerm, start: Date): { start: Date; end: Date } {
  if (addDuration(term.activeFrom, term.cadence) <= term.activeFrom) {
    throw new Error(`allocation ${term.allocationId}: a cadence must be longer than zero`);
  }
  return periodContaining(term.activeFrom, term.cadence, start);
}

function dueAt(term: AllocationTerm, period: { start: Date; end: Date }): DueAllocation {
  return {
    subscriptionId: term.subscriptionId,
    allocationId: term.allocationId,
    periodStart: period.start,
    periodEnd: period.end,
    expiresAt: term.expiresAfter ? addDuration(period.start, term.expiresAfter) : period.end,
    key: allocationKey(term.subscriptionId, term.allocationId, period.start),
  };
}

/**
 * The periods due at `asOf` that come after `after` (the start of the last period already granted, null
 * when none was), oldest first, at most `limit` of them: each starts at or before `asOf` while the
 * subscription is active. Grants are made oldest first, so every period up to `after` is already granted
 * and a caller that stopped at `limit` continues from the last one it made.
 */
export function duePeriods(
  term: AllocationTerm,
  opts: { asOf: Date; after: Date | null; limit?: number },
): DueAllocation[] {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const out: DueAllocation[] = [];
  if (opts.asOf < term.activeFrom) return out;
  let period =
    opts.after === null || opts.after < term.activeFrom
      ? periodAt(term, term.activeFrom)
      : periodAt(term, periodAt(term, opts.after).end);
  while (out.length < limit && period.start <= opts.asOf && activeAt(term, period.start)) {
    out.push(dueAt(term, period));
    period = periodAt(term, period.end);
  }
  return out;
}

/**
 * The first period start after `asOf` that will be due (the instant to schedule the next run at), or null
 * when the subscription ends before it.
 */
export function nextPeriodStart(term: AllocationTerm, asOf: Date): Date | null {
  const start = asOf < term.activeFrom ? term.activeFrom : periodAt(term, asOf).end;
  return activeAt(term, start) ? start : null;
}
