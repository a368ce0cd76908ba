import type { MovementRow, ReportRow } from './service';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, quotes doubled. Free text
 * (`formula: true`) that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is
 * prefixed with a single quote, as OWASP recommends; amounts and ids are never touched.
 */
export function csvField(value: string | number | null, formula = false): string {
  if (value === null) return '';
  let s = String(value);
  if (formula && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const MOVEMENT_COLUMNS = [
  'id',
  'booked_at',
  'customer_id',
  'currency',
  'sequence',
  'type',
  'amount',
  'balance_before',
  'balance_after',
  'grant_id',
  'charge_id',
  'corrects_id',
  'description',
] as const;

export const movementsCsvHeader = MOVEMENT_COLUMNS.join(',') + '\r\n';

export function movementCsvLine(m: MovementRow): string {
  return (
    [
      csvField(m.id),
      csvField(m.bookedAt),
      csvField(m.customerId),
      csvField(m.currency),
      csvField(m.sequence),
      csvField(m.type),
      csvField(m.amount),
      csvField(m.balanceBefore),
      csvField(m.balanceAfter),
      csvField(m.grantId),
      csvField(m.chargeId),
      csvField(m.correctsId),
      csvField(m.description, true),
    ].join(',') + '\r\n'
  );
}

/** The report as CSV: one `purchased_value_<CODE>` column per purchase currency that occurs in it. */
export function reportCsv(rows: readonly ReportRow[]): string {
  const fiat = [...new Set(rows.flatMap((r) => r.purchasedValue.map((p) => p.currency)))].sort();
  const header = [
    'currency',
    'month',
    'granted',
    'purchased',
    ...fiat.map((c) => `purchased_value_${c}`),
    'consumed',
    'expired',
    'voided',
    'corrected',
    'adjusted',
    'net',
    'movements',
  ];
  const lines = rows.map((r) =>
    [
      r.currency,
      r.month,
      r.granted,
      r.purchased,
      ...fiat.map((c) => r.purchasedValue.find((p) => p.currency === c)?.amount ?? '0'),
      r.consumed,
      r.expired,
      r.voided,
      r.corrected,
      r.adjusted,
      r.net,
      r.movements,
    ]
      .map((v) => csvField(v))
      .join(','),
  );
  return [header.map((h) => csvField(h)).join(','), ...lines].map((l) => l + '\r\n').join('');
}
