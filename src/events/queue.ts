/**
 * A push-to-pull bridge: producers `push`, one consumer iterates. `return()` (the consumer leaving, e.g.
 * the client unsubscribing) runs the cleanup once. Bounded: a consumer that stops reading is closed.
 *
 * A consumer that can take items as they come (the WebSocket server's direct delivery, events/shared.ts)
 * `attach`es a sink instead: `push` then hands each item to it synchronously, in order, and `next()` settles
 * only when the queue ends (`return()`, or `fail`, which rejects it). The sink bounds itself.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private sink: ((item: T) => void) | null = null;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private failed: ((e: unknown) => void) | null = null;
  private closed = false;
  private error: unknown = null;

  constructor(
    private readonly onClose: () => void,
    private readonly limit = 10_000,
  ) {}

  push(item: T): void {
    if (this.closed) return;
    if (this.sink) {
      this.sink(item);
      return;
    }
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      this.failed = null;
      w({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.limit) {
      this.fail(new Error('subscriber is not reading; closing it'));
      return;
    }
    this.items.push(item);
  }

  /** The consumer left or the queue failed: nothing more is handed on. */
  get ended(): boolean {
    return this.closed || this.error !== null;
  }

  /** From now on every item goes to `sink` as it is pushed, those queued first. */
  attach(sink: (item: T) => void): void {
    this.sink = sink;
    const queued = this.items;
    this.items = [];
    for (const item of queued) if (!this.closed) sink(item);
  }

  fail(e: unknown): void {
    if (this.closed) return;
    this.error = e;
    if (this.failed) {
      const f = this.failed;
      this.waiting = null;
      this.failed = null;
      this.close();
      f(e);
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink = null;
    this.onClose();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.error) {
      const e = this.error;
      this.error = null;
      this.close();
      return Promise.reject(e);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.items = [];
    this.close();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
