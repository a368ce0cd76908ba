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
