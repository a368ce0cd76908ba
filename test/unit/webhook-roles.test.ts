import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { Coalescer } from '../../src/modules/webhooks/batch';

describe('DRAWDOWN_ROLE and DRAWDOWN_WORKER_NICE', () => {
  it('defaults to all with a nice of 10; api and worker are read; anything else is refused', () => {
    const c = loadConfig({});
    expect(c.role).toBe('all');
    expect(c.workerNice).toBe(10);
    expect(loadConfig({ DRAWDOWN_ROLE: 'api' }).role).toBe('api');
    const w = loadConfig({
      DRAWDOWN_ROLE: 'worker',
      DATABASE_URL: 'postgres://h/db',
      DRAWDOWN_WORKER_NICE: '40',
    });
    expect(w.role).toBe('worker');
    expect(w.workerNice).toBe(19);
    expect(() => loadConfig({ DRAWDOWN_ROLE: 'both' })).toThrow(/all, api or worker/);
  });

  it('a worker needs DATABASE_URL: it cannot share the embedded database', () => {
    expect(() => loadConfig({ DRAWDOWN_ROLE: 'worker' })).toThrow(/needs DATABASE_URL/);
  });
});

describe('Coalescer (group commit of delivery attempts)', () => {
  it('runs the first call at once and the calls made meanwhile together, each getting its own answer', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const c = new Coalescer<number, number>(async (xs) => {
      batches.push(xs);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return xs.map((x) => x * 10);
    });
    const first = c.push(1);
    const rest = [c.push(2), c.push(3), c.push(4)];
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('a failed statement fails its own batch only', async () => {
    const c = new Coalescer<number, number>(async (xs) => {
      if (xs.includes(2)) throw new Error('boom');
      return xs;
    });
    await expect(c.push(2)).rejects.toThrow('boom');
    expect(await c.push(3)).toBe(3);
  });
});
