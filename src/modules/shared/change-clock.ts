import { addCommitListener, type CommittedChanges } from './tx';

/**
 * What a change voids: a customer's `ledgers` (a movement, usage, a hold: their rows, open charges, holds and
 * history), or their `terms` (a subscription: where their usage goes).
 */
export type ChangeKind = 'ledgers' | 'terms';

/** What a committed change of each kind voids: only a change of terms reaches the kept subscriptions. */
const voids = (kind: keyof CommittedChanges): ChangeKind => (kind === 'terms' ? 'terms' : 'ledgers');

/** The key a customer's changes are counted under: one counter per customer and kind of change. */
const changeKey = (what: ChangeKind, customerId: string) => (what === 'terms' ? 't|' : 'l|') + customerId;

/** Told of every change and of every reset (the listener dropped or came back), to free what is kept. */
export interface ChangeObserver {
  changed(customerId: string, what: ChangeKind): void;
  reset(): void;
}

/**
 * The process's change counter: the one rule by which what is kept in memory between requests (the check
 * cache's reads and answers, the kept first page of history) stays exact. The consistency argument is in
 * docs/holds-and-checks.md, "Fast checks".
 *
 * A read records `begin()` before it starts; it may be kept and served only while `current(what, customer,
 * epoch)` holds: no change of that kind of that customer was signalled since, and the change listener has
 * been connected all along (`online`; while it is down nothing is current, and reads that began before it
 * dropped or came back never are again). Changes are signalled by this process's own commits,
 * synchronously, before the committing request answers (`start`), and by every process's change
 * notifications (`heard`, wired by the app). Every writer of a ledger, subscription, charge or hold notes
 * its customer in its transaction, so every commit that can change a kept read is signalled.
 */
export class ChangeClock {
  private epoch = 0;
  /** Reads that began before this are never current (the listener dropped or came back meanwhile). */
  private floor = 1;
  private isOnline = false;
  /** The epoch of each customer's last change, by `changeKey`; LRU-bounded, `bumpFloor` standing in for dropped ones. */
  private readonly lastChange = new Map<string, number>();
  private bumpFloor = 0;
  private readonly observers = new Set<ChangeObserver>();
  private offCommits: (() => void) | null = null;

  /** `maxKeys`: customers × kinds whose last change is remembered one by one (older ones share a floor). */
  constructor(private readonly maxKeys = 40_000) {}

  /** Hears this process's commits (synchronously, before the committing request answers). */
  start(): void {
    this.offCommits ??= addCommitListener((c) => {
      for (const kind of ['movements', 'pending', 'terms'] as const) this.heard(kind, c[kind]);
    });
  }

  /** Stops hearing commits and serves nothing from here on. */
  stop(): void {
    this.offCommits?.();
    this.offCommits = null;
    this.offline();
  }

  /** The change listener is connected: kept reads may be served from now on (none made before). */
  online(): void {
    this.floor = ++this.epoch;
    this.isOnline = true;
    for (const o of this.observers) o.reset();
  }

  /** The change listener is down: another process's change could go unheard, so nothing is current. */
  offline(): void {
    this.isOnline = false;
    this.floor = ++this.epoch;
    for (const o of this.observers) o.reset();
  }

  get serving(): boolean {
    return this.isOnline;
  }

  /** Customers committed a change of `kind` (this process's commit, or another's notification). */
  heard(kind: keyof CommittedChanges, customerIds: Iterable<string>): void {
    this.changed(customerIds, voids(kind));
  }

  /** These customers' ledgers or terms changed: reads of what changed that began before now are void. */
  changed(customerIds: Iterable<string>, what: ChangeKind): void {
    for (const id of customerIds) {
      const at = ++this.epoch;
      const key = changeKey(what, id);
      this.lastChange.delete(key);
      this.lastChange.set(key, at);
      for (const o of this.observers) o.changed(id, what);
    }
    for (const [key, at] of this.lastChange) {
      if (this.lastChange.size <= this.maxKeys) break;
      this.lastChange.delete(key);
      this.bumpFloor = Math.max(this.bumpFloor, at);
    }
  }

  /** The epoch a read records before it begins: a change signalled from now on voids it. */
  begin(): number {
    return this.epoch;
  }

  /** Whether a read of `what` of the customer that began at `epoch` is still as new as every change since. */
  current(what: ChangeKind, customerId: string, epoch: number): boolean {
    return (
      this.isOnline &&
      epoch >= this.floor &&
      (this.lastChange.get(changeKey(what, customerId)) ?? this.bumpFloor) <= epoch
    );
  }

  /** Tells `o` of every change and reset from now on; returns the function that stops it. */
  observe(o: ChangeObserver): () => void {
    this.observers.add(o);
    return () => this.observers.delete(o);
  }
}
