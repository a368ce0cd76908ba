import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, isIdOf } from '../../core/ids';

export type MovementFormat = 'csv' | 'ndjson';
export type ReportFormat = 'csv' | 'json';

/** What an export covers: one customer or all, one currency or all, booked in [from, to). */
export interface ExportFilter {
  customerId: string | null;
  currency: string | null;
  from: Date | null;
  to: Date | null;
}

/** A query string as express parses it: repeated names come as arrays. */
export type Query = Record<string, unknown>;

const CURRENCY = /^[A-Z][A-Z0-9_]{1,15}$/;
// a date (midnight UTC), or a date-time with seconds optional, a fraction optional and a zone required
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const MONTH = /^\d{4}-\d{2}$/;

function instant(problems: Problems, field: string, raw: string | null, months: boolean): Date | null {
  if (raw === null) return null;
  const text = months && MONTH.test(raw) ? `${raw}-01` : raw;
  const d = INSTANT.test(text) ? new Date(text.length === 10 ? `${text}T00:00:00Z` : text) : null;
  if (!d || Number.isNaN(d.getTime()) || !realDay(text)) {
    problems.add(
      field,
      months
        ? 'must be a month (2026-01), a date (2026-01-31) or a date-time with a zone (2026-01-31T12:00:00Z)'
        : 'must be a date (2026-01-31) or a date-time with a zone (2026-01-31T12:00:00Z)',
    );
    return null;
  }
  return d;
}

/** Date rolls 2026-02-31 over to March 3rd: the written day must exist. */
function realDay(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/**
 * Parses an export's query string; every problem is collected into one BAD_USER_INPUT, whose `problems`
 * name the parameters. Unknown and repeated parameters are refused too: a misspelt filter must not
 * silently export everything.
 */
export function parseExportQuery<F extends string>(
  query: Query,
  opts: { formats: readonly F[]; months: boolean; customer: boolean },
): { filter: ExportFilter; format: F } {
  const problems = new Problems();
  const allowed = new Set(['currency', 'from', 'to', 'format', ...(opts.customer ? ['customerId'] : [])]);
  const one = (name: string): string | null => {
    const v = query[name];
    if (v === undefined) return null;
    if (typeof v !== 'string') {
      problems.add(name, 'must be given once');
      return null;
    }
    return v === '' ? null : v;
  };
  for (const name of Object.keys(query)) {
    if (!allowed.has(name)) problems.add(name, `is not a parameter (expected ${[...allowed].join(', ')})`);
  }
  const customerId = opts.customer ? one('customerId') : null;
  if (customerId !== null && !isIdOf(IdPrefix.Customer, customerId)) {
    problems.add('customerId', 'must be a customer id (cus_…)');
  }
  const currency = one('currency');
  if (currency !== null && !CURRENCY.test(currency)) {
    problems.add('currency', 'must be a currency code (2 to 16 of A-Z, 0-9 and _, starting with a letter)');
  }
  const from = instant(problems, 'from', one('from'), opts.months);
  const to = instant(problems, 'to', one('to'), opts.months);
  if (from && to && from.getTime() >= to.getTime()) problems.add('to', 'must be after from');
  const rawFormat = one('format') ?? opts.formats[0]!;
  const format = opts.formats.find((f) => f === rawFormat);
  if (!format) problems.add('format', `must be one of ${opts.formats.join(', ')}`);
  problems.throwIfAny();
  return { filter: { customerId, currency, from, to }, format: format! };
}

/** The customer a customer token may export: its own, whatever it asked for (another one is FORBIDDEN). */
export function ownCustomerOnly(filter: ExportFilter, customerId: string): ExportFilter {
  if (filter.customerId !== null && filter.customerId !== customerId) {
    throw new DomainError(ErrorCode.FORBIDDEN, 'A customer token exports its own movements only');
  }
  return { ...filter, customerId };
}
