import { describe, expect, it } from 'vitest';
import { trendDrop } from '../../bench/stats';

describe('trendDrop (bench/soak.ts: the least-squares reading of the throughput drop)', () => {
  it.each([
    { values: [100, 90], from: 100, to: 90, drop: 0.1 },
    { values: [100, 100, 100, 100], from: 100, to: 100, drop: 0 },
    { values: [80, 90, 100], from: 80, to: 100, drop: -0.25 },
    // one low last window among flat ones moves the line far less than first-to-last (−30%)
    { values: [100, 100, 100, 100, 70], from: 106, to: 82, drop: 1 - 82 / 106 },
    { values: [42], from: 42, to: 42, drop: 0 },
  ])('$values → $from … $to', ({ values, from, to, drop }) => {
    const t = trendDrop(values);
    expect(t.from).toBeCloseTo(from, 9);
    expect(t.to).toBeCloseTo(to, 9);
    expect(t.drop).toBeCloseTo(drop, 9);
  });
});
