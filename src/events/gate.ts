/**
 * A semaphore that serves its waiters round-robin by key: at most `concurrency` tasks run at once, and a key
 * with many queued tasks (one socket starting 500 subscriptions) takes turns with a key that has one.
 *
 * Live subscriptions start through it (their authorization, first balances and replay pages read the
 * database), so a storm of starting subscriptions holds at most `concurrency` pool connections and the
 * requests that share the pool keep theirs. A task must not run another task of the same gate and wait for
 * it: with every slot taken that would never finish.
 */
export class FairGate {
  private running = 0;
  /** Waiters per key; Map order is the round-robin order (a served key moves to the end). */
  private readonly waiting = new Map<unknown, (() => void)[]>();
  readonly concurrency: number;

  constructor(concurrency: number) {
    this.concurrency = Math.max(1, concurrency);
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    let n = 0;
    for (const q of this.waiting.values()) n += q.length;
    return n;
  }

  async run<T>(key: unknown, task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve) => {
        const q = this.waiting.get(key);
        if (q) q.push(resolve);
        else this.waiting.set(key, [resolve]);
      });
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Hands the slot to the next key's oldest waiter, or frees it. */
  private release(): void {
    const first = this.waiting.entries().next();
    if (first.done) {
      this.running--;
      return;
    }
    const [key, q] = first.value;
    const resolve = q.shift()!;
    this.waiting.delete(key);
    if (q.length > 0) this.waiting.set(key, q);
    resolve();
  }
}
