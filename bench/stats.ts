/** Pure figures the benchmarks compute from their samples (no server, no database): unit-tested. */

/**
 * The least-squares line through the windows' ops/s, read at the first and the last window: the drop from
 * its start to its end. First-to-last compares two windows, each of which carries the machine's swing of the
 * minute (±15% on this VM); the line weighs every window alike.
 */
export function trendDrop(values: number[]): { from: number; to: number; drop: number } {
  const n = values.length;
  if (n < 2) return { from: values[0] ?? 0, to: values[0] ?? 0, drop: 0 };
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  });
  const slope = sxy / sxx;
  const from = meanY - slope * meanX;
  const to = meanY + slope * meanX;
  return { from, to, drop: from === 0 ? 0 : 1 - to / from };
}
