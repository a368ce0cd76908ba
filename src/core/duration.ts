import { DomainError } from './errors';

/** An ISO-8601 calendar duration as used for billing cadences (P1M, P1W, P1D, PT1H, P1Y2M...). */
export interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const RE = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * Parses an ISO-8601 duration. `what` names it in errors; `minSeconds` (default 60, as for billing cadences)
 * is the shortest accepted: credit allocations take second-long cadences so tests can watch periods pass.
 */
export function parseIsoDuration(
  text: string,
  opts: { what?: string; minSeconds?: number } = {},
): IsoDuration {
  const m = RE.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) {
    throw DomainError.badInput(`"${text}" is not an ISO-8601 duration like P1M, P1W, P1D or PT1H`);
  }
  const n = (i: number) => (m[i] ? Number(m[i]) : 0);
  const d: IsoDuration = {
    years: n(1),
    months: n(2),
    weeks: n(3),
    days: n(4),
    hours: n(5),
    minutes: n(6),
    seconds: n(7),
  };
  const totalSeconds =
    ((d.years * 365 + d.months * 28 + d.weeks * 7 + d.days) * 24 + d.hours) * 3600 +
    d.minutes * 60 +
    d.seconds;
  const { what = 'billing cadence', minSeconds = 60 } = opts;
  if (totalSeconds < minSeconds) {
    const least = minSeconds === 60 ? 'one minute' : `${minSeconds} second${minSeconds === 1 ? '' : 's'}`;
    throw DomainError.badInput(`${what} ${text} must be at least ${least}`);
  }
  return d;
}

/**
 * Adds `times` whole durations to `anchor` in UTC. Months are added from the anchor each time
 * (not chained), so a 31 January anchor gives 28/29 Feb, 31 Mar, 30 Apr..., clamped to month end.
 */
export function addDuration(anchor: Date, d: IsoDuration, times = 1): Date {
  const y = anchor.getUTCFullYear() + d.years * times;
  const monthIndex = anchor.getUTCMonth() + d.months * times;
  const targetYear = y + Math.floor(monthIndex / 12);
  const targetMonth = ((monthIndex % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(anchor.getUTCDate(), lastDay);
  const base = Date.UTC(
    targetYear,
    targetMonth,
    day,
    anchor.getUTCHours(),
    anchor.getUTCMinutes(),
    anchor.getUTCSeconds(),
    anchor.getUTCMilliseconds(),
  );
  const fixedMs =
    (((d.weeks * 7 + d.days) * 24 + d.hours) * 3600 + d.minutes * 60 + d.seconds) * 1000 * times;
  return new Date(base + fixedMs);
}

/** The billing period [start, end) that contains `at`, for periods anchored at `anchor`. */
export function periodContaining(anchor: Date, cadence: IsoDuration, at: Date): { start: Date; end: Date } {
  if (at < anchor) throw new Error('periodContaining: time is before the anchor');
  // Estimate the index from the average length, then correct by stepping.
  const approx = addDuration(anchor, cadence, 1).getTime() - anchor.getTime();
  let k = Math.max(0, Math.floor((at.getTime() - anchor.getTime()) / approx) - 1);
  while (addDuration(anchor, cadence, k + 1) <= at) k++;
  while (k > 0 && addDuration(anchor, cadence, k) > at) k--;
  return { start: addDuration(anchor, cadence, k), end: addDuration(anchor, cadence, k + 1) };
}
