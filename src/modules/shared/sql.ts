/**
 * One data-modifying statement a module contributes to another's write (`LedgerTx.writeBefore`): it runs as
 * a CTE of that statement, so rows written after it in the statement may reference its rows (foreign keys
 * are checked at the statement's end) at no extra round trip.
 */
export interface StatementPart {
  sql: string;
  params: readonly unknown[];
}

/**
 * `(?, ?, ...), (?, ?, ...)` for a multi-row VALUES list, checked against the flat parameter array: the
 * driver would silently shift values if a tuple and its parameters ever disagreed in width.
 */
export function valuesList(rows: number, tuple: string, params: readonly unknown[]): string {
  const width = (tuple.match(/\?/g) ?? []).length;
  if (rows * width !== params.length) {
    throw new Error(
      `VALUES list mismatch: ${rows} rows × ${width} placeholders, ${params.length} parameters`,
    );
  }
  return Array.from({ length: rows }, () => tuple).join(', ');
}

/**
 * `round(value, scale)` with ROUND_HALF_EVEN, as a SQL expression: the money module's `roundToScale`, which
 * every booked amount goes through (SPEC §2). PostgreSQL's own `round(numeric, int)` rounds half away from
 * zero, so a charge of 0.125 booked as 0.12 would look unbooked to it forever. `value` and `scale` are SQL
 * expressions (a numeric and an integer); each is repeated, so pass columns or parameters, not subqueries.
 * Held against `roundToScale` by `test/integration/rounding-sql.test.ts`.
 */
export function roundHalfEvenSql(value: string, scale: string): string {
  const unit = `power(10::numeric, -(${scale}))`;
  const truncated = `trunc(${value}, ${scale})`;
  // a tie is exactly half a unit beyond the truncation; round() moved it away from zero, and half-even
  // moves it back when the truncated last digit is already even
  return `(round(${value}, ${scale}) - case
      when abs(${value} - ${truncated}) * 2 = ${unit} and mod(trunc(${truncated} / ${unit}), 2) = 0
      then sign(${value}) * ${unit} else 0 end)`;
}

/**
 * A PostgreSQL array literal (`{"a","b",NULL}`) for one parameter cast to an array type (`?::text[]`,
 * `?::numeric[]`): every element quoted (commas, quotes and backslashes stay text), null as NULL. The
 * ORM's `execute` writes parameters into the statement as literals, and a JS array would become a list;
 * one array literal keeps a set-wise statement's text the same size whatever the number of rows
 * (`= any(?::text[])`, `unnest(?::text[], ?::numeric[])`), so PostgreSQL parses one constant instead of
 * one per value.
 */
export function pgArray(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`;
}
