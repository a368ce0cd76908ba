import type { BalanceView, MovementEntity } from '../modules/ledger';
import type { FairGate } from './gate';
import { AsyncQueue } from './queue';
import { PAGE, type FeedReads, type LedgerMark } from './reads';

/** Pending-only updates per customer are coalesced to at most this often (SPEC §10: 4 per second). */
const PENDING_INTERVAL_MS = 250;

export interface Listener {
  /** Movement rows the feed read, in booking order, with the balances as of the read. */
  movements(rows: MovementEntity[], balances: Map<string, BalanceView>, ledgers: Map<string, string>): void;
  pending(balances: Map<string, BalanceView>, ledgers: Map<string, LedgerMark>): void;
}

/**
 * Everything one process delivers for one customer. A wake reads the customer's new movements once (by
 * per-ledger sequence, the gapless outbox order) and hands them to every listener, so N dashboards on one
 * customer cost one query per change. Listeners keep their own per-ledger cursor: they skip what they have
 * had and fill any gap from the database, so nothing is missed and nothing is sent twice.
 */
export class CustomerFeed {
  readonly listeners = new Set<Listener>();
  private cursor = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private pendingTimer: NodeJS.Timeout | null = null;
  private lastPendingAt = 0;
  ready: Promise<void>;

  constructor(
    readonly customerId: string,
    private readonly reads: FeedReads,
    /** Reads cut off by shutdown are expected: `failed` is asked only while the hub runs. */
    private readonly failed: (e: unknown) => void,
  ) {
    this.ready = this.enqueue(async () => {
      for (const l of await reads.ledgers(customerId)) this.cursor.set(l.id, l.lastSequence);
    });
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(fn).catch(this.failed);
    return this.chain;
  }

  /** A pull is queued and has not started: it will read whatever a later wake announces. */
  private pullQueued = false;

  wakeMovements(): void {
    if (this.pullQueued) return;
    this.pullQueued = true;
    void this.enqueue(() => {
      this.pullQueued = false;
      return this.pull();
    });
  }

  wakePending(): void {
    if (this.pendingTimer) return;
    const wait = Math.max(0, this.lastPendingAt + PENDING_INTERVAL_MS - Date.now());
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = null;
      this.lastPendingAt = Date.now();
      void this.enqueue(async () => {
        const balances = await this.reads.balances(this.customerId);
        const ledgers = new Map((await this.reads.ledgers(this.customerId)).map((l) => [l.currencyId, l]));
        for (const l of this.listeners) l.pending(balances, ledgers);
      });
    }, wait);
    this.pendingTimer.unref();
  }

  private async pull(): Promise<void> {
    for (;;) {
      const { rows, balances } = await this.reads.newMovements(this.customerId, this.cursor);
      if (rows.length === 0) return;
      for (const r of rows)
        this.cursor.set(r.ledgerId, Math.max(this.cursor.get(r.ledgerId) ?? 0, r.sequence));
      const ledgerCurrency = new Map(rows.map((r) => [r.ledgerId, r.currencyId]));
      for (const l of this.listeners) l.movements(rows, balances, ledgerCurrency);
      if (rows.length < PAGE) return;
    }
  }

  dispose(): void {
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
  }
}

/** Where a listener reads from: the feeds' reads, and the gate its replay pages take turns in. */
export interface ListenerSource {
  reads: FeedReads;
  gate: FairGate;
}

/** A movement-based subscriber: its own cursor, gap filling, and ordered delivery. */
export abstract class CursorListener<T> implements Listener {
  protected readonly cursor = new Map<string, number>();
  /** Closed until start(): nothing is delivered before the starting cursor is known. */
  private open!: () => void;
  private opened = false;
  private chain: Promise<void> = new Promise((resolve) => (this.open = resolve));
  /** Work on `chain` not done yet: while there is none, movements in order are delivered at once. */
  private busy = 0;
  /** `deliver` never returns a promise: a movement that needs no read can be delivered synchronously. */
  protected readonly synchronous: boolean = false;
  protected readonly lastPending = new Map<string, string>();
  readonly queue: AsyncQueue<T>;
  /** The subscriber left: pending reads on its behalf are skipped. */
  private closed = false;

  constructor(
    protected readonly source: ListenerSource,
    protected readonly customerId: string,
    protected readonly currencyId: string | null,
    /** Default cursor for ledgers not known when the subscription started. */
    protected readonly fromSequence: number,
    onClose: () => void,
  ) {
    this.queue = new AsyncQueue<T>(() => {
      this.closed = true;
      onClose();
    });
  }

  protected enqueue(fn: () => Promise<void>): void {
    this.busy++;
    this.chain = this.chain
      .then(async () => {
        try {
          await fn();
        } finally {
          this.busy--;
        }
      })
      .catch((e) => this.queue.fail(e));
  }

  protected wants(currencyId: string): boolean {
    return this.currencyId === null || this.currencyId === currencyId;
  }

  protected abstract deliver(row: MovementEntity, balances: Map<string, BalanceView>): Promise<void> | void;

  /**
   * Reads from the database whatever this listener has not had yet (replay, or a gap). Each page is read
   * through the hub's gate, taking turns per customer, so a thousand replaying subscriptions read a few
   * pages at a time instead of queueing a thousand reads in front of the pool. Rows are handed on outside
   * the gate: a gap found there runs its own catch-up, which must not wait for a slot this one holds.
   */
  protected async catchUp(): Promise<void> {
    const { reads, gate } = this.source;
    for (;;) {
      const page = await gate.run(this.customerId, async () => {
        if (this.closed) return null;
        const page = await reads.movementsAfter(
          this.customerId,
          this.cursor,
          this.currencyId,
          PAGE,
          this.fromSequence,
        );
        return page.rows.length === 0 ? null : page;
      });
      if (!page) return;
      for (const r of page.rows) await this.take(r, page.balances);
      if (page.rows.length < PAGE) return;
    }
  }

  private async take(r: MovementEntity, balances: Map<string, BalanceView>): Promise<void> {
    const seen = this.cursor.get(r.ledgerId) ?? this.fromSequence;
    if (r.sequence <= seen) return;
    if (r.sequence > seen + 1) {
      await this.catchUp();
      if (r.sequence <= (this.cursor.get(r.ledgerId) ?? this.fromSequence)) return;
    }
    this.cursor.set(r.ledgerId, r.sequence);
    await this.deliver(r, balances);
  }

  movements(rows: MovementEntity[], balances: Map<string, BalanceView>): void {
    const rest = this.synchronous && this.opened && this.busy === 0 ? this.deliverInOrder(rows, balances) : 0;
    if (rest === rows.length) return;
    const left = rest === 0 ? rows : rows.slice(rest);
    this.enqueue(async () => {
      for (const r of left) if (this.wants(r.currencyId)) await this.take(r, balances);
    });
  }

  /**
   * With nothing queued before them: delivers the rows that follow this listener's cursors without a gap,
   * at once, and answers how many rows it went through (it stops at the first gap, which `take` reads).
   */
  private deliverInOrder(rows: MovementEntity[], balances: Map<string, BalanceView>): number {
    let i = 0;
    for (; i < rows.length; i++) {
      const r = rows[i]!;
      if (!this.wants(r.currencyId)) continue;
      const seen = this.cursor.get(r.ledgerId) ?? this.fromSequence;
      if (r.sequence <= seen) continue;
      if (r.sequence > seen + 1) break;
      this.cursor.set(r.ledgerId, r.sequence);
      void this.deliver(r, balances);
    }
    return i;
  }

  pending(_balances: Map<string, BalanceView>, _ledgers: Map<string, LedgerMark>): void {}

  /** Opens delivery from these per-ledger cursors; with `replay`, first sends what came after them. */
  start(initial: Map<string, number>, replay: boolean): void {
    for (const [k, v] of initial) this.cursor.set(k, v);
    // jump the queue: the catch-up runs before anything the feed handed over while closed
    const gate = replay ? this.catchUp() : Promise.resolve();
    const open = () => {
      this.opened = true;
      this.open();
    };
    gate.then(open, (e: unknown) => {
      this.queue.fail(e);
      open();
    });
  }
}
