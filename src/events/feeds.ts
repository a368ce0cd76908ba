import type { Log } from '../core/log';
import { addCommitListener } from '../modules/shared';
import type { ServiceRoot } from '../services';
import { AlertListener, type AlertUpdate } from './alerts';
import { BalanceListener, type BalanceUpdate } from './balances';
import type { WakeKind } from './bus';
import { FairGate } from './gate';
import { CustomerFeed, type Listener } from './outbox-feed';
import type { AsyncQueue } from './queue';
import { FeedReads } from './reads';

export type { AlertUpdate } from './alerts';
export type { BalanceUpdate } from './balances';

export interface FeedDeps {
  /** The feeds read through services of their own (src/services.ts), one fork per read. */
  services: ServiceRoot;
  log: Log;
  /** Subscription start-up reads (see FeedHub.gate) running at once; 4 when not given. */
  startConcurrency?: number;
}

/**
 * All live feeds of this process, woken by the event bus: one feed per watched customer (outbox-feed.ts),
 * with its balance (balances.ts) and alert (alerts.ts) subscribers. What they share between subscribers,
 * and why that is safe, is in this folder's README.
 */
export class FeedHub {
  private readonly feeds = new Map<string, CustomerFeed>();
  stopped = false;
  readonly reads: FeedReads;
  /**
   * The budget for starting subscriptions: the WebSocket server runs each subscription's start (its
   * authorization and first reads) through it, per socket, and listeners read their replay pages through it,
   * per customer. The feeds' own reads (one per customer and change) do not use it.
   */
  readonly gate: FairGate;

  /** On shutdown: no more wake-ups; feeds are dropped. */
  stop(): void {
    this.stopped = true;
    this.offCommits?.();
    this.offCommits = null;
    for (const f of this.feeds.values()) f.dispose();
    this.feeds.clear();
  }

  constructor(readonly deps: FeedDeps) {
    this.gate = new FairGate(deps.startConcurrency ?? 4);
    this.reads = new FeedReads(deps.services);
  }

  get size(): number {
    let n = 0;
    for (const f of this.feeds.values()) n += f.listeners.size;
    return n;
  }

  /**
   * This process's commits, heard synchronously right after each one (`addCommitListener`): its feeds read
   * at once, without waiting for the NOTIFY to come back from PostgreSQL. The bus's notifications then wake
   * the feeds for other processes' commits only (`own` is skipped in app.ts).
   */
  private offCommits: (() => void) | null = null;

  /** Starts hearing this process's commits (above). */
  start(): void {
    this.offCommits ??= addCommitListener((c) => {
      this.wake('movements', [...c.movements]);
      // a movement's update carries the pending figure: pending-only reads are for customers without one
      this.wake(
        'pending',
        [...c.pending].filter((id) => !c.movements.has(id)),
      );
    });
  }

  wake(kind: WakeKind, customerIds: string[]): void {
    // a change of terms (subscriptions) moves no balance: live updates have nothing to read
    if (this.stopped || kind === 'terms') return;
    for (const id of customerIds) {
      const f = this.feeds.get(id);
      if (!f) continue;
      if (kind === 'movements') f.wakeMovements();
      else f.wakePending();
    }
  }

  /** After the listener was away: the outbox says which watched customers changed since; re-read them. */
  async catchUp(since: Date): Promise<void> {
    const watched = [...this.feeds.keys()];
    if (watched.length === 0) return;
    const margin = new Date(since.getTime() - 30_000); // a transaction may have started before the drop
    this.wake('movements', await this.reads.changedSince(margin, watched));
    this.wake('pending', watched);
  }

  private feed(customerId: string): CustomerFeed {
    let f = this.feeds.get(customerId);
    if (!f) {
      f = new CustomerFeed(customerId, this.reads, (e) => {
        // reads cut off by shutdown are expected; anything else is worth a log line
        if (!this.stopped) this.deps.log('error', 'feed failed', { error: String(e) });
      });
      this.feeds.set(customerId, f);
    }
    return f;
  }

  private detach(customerId: string, l: Listener): void {
    const f = this.feeds.get(customerId);
    if (!f) return;
    f.listeners.delete(l);
    if (f.listeners.size === 0) {
      f.dispose();
      this.feeds.delete(customerId);
    }
  }

  async balanceUpdates(
    customerId: string,
    currencyCode: string | null,
    afterSequence: number | null,
  ): Promise<AsyncQueue<BalanceUpdate>> {
    const currencyId = await this.reads.currencyId(currencyCode);
    const f = this.feed(customerId);
    // ledgers that appear after subscribing start from their first movement
    const l: BalanceListener = new BalanceListener(this, customerId, currencyId, 0, () =>
      this.detach(customerId, l),
    );
    f.listeners.add(l);
    try {
      await f.ready;
      const ledgers = await this.reads.ledgers(customerId);
      l.seedPending(await this.reads.balances(customerId));
      // live only: start at each ledger's current end; with afterSequence: replay what came after it
      l.start(new Map(ledgers.map((x) => [x.id, afterSequence ?? x.lastSequence])), afterSequence !== null);
    } catch (e) {
      this.detach(customerId, l);
      throw e;
    }
    return l.queue;
  }

  async alerts(customerId: string): Promise<AsyncQueue<AlertUpdate>> {
    const f = this.feed(customerId);
    const l: AlertListener = new AlertListener(this, customerId, null, 0, () => this.detach(customerId, l));
    f.listeners.add(l);
    try {
      await f.ready;
      l.start(new Map((await this.reads.ledgers(customerId)).map((x) => [x.id, x.lastSequence])), false);
    } catch (e) {
      this.detach(customerId, l);
      throw e;
    }
    return l.queue;
  }
}
