import { describe, expect, it } from 'vitest';
import { FairGate } from '../../src/events/gate';

const tick = () => new Promise((r) => setImmediate(r));

describe('FairGate', () => {
  it('runs at most `concurrency` tasks and serves waiting keys round-robin', async () => {
    const gate = new FairGate(2);
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const task = (name: string) => async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      order.push(name);
      running--;
      return name;
    };
    const all = [
      ...['a1', 'a2', 'a3', 'a4', 'a5'].map((n) => gate.run('a', task(n))),
      gate.run('b', task('b1')),
      gate.run('c', task('c1')),
    ];
    expect(gate.queued).toBe(5);
    expect(await Promise.all(all)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'c1']);
    expect(most).toBe(2);
    // a1 and a2 took the free slots; then one socket's backlog takes turns with the others
    expect(order.indexOf('b1')).toBeLessThan(order.indexOf('a4'));
    expect(order.indexOf('c1')).toBeLessThan(order.indexOf('a5'));
    expect(gate.queued).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const gate = new FairGate(1);
    await expect(gate.run('x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run('x', async () => 'next')).toBe('next');
  });
});
