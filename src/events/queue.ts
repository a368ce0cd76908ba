/**
 * A push-to-pull bridge: producers `push`, one consumer iterates. `return()` (the consumer leaving, e.g.
 * the client unsubscribing) runs the cleanup once. Bounded: a consumer that stops reading is closed.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
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
