import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../core/clock';
import type { Log } from '../core/log';
import { Dec, formatDecimal } from '../money';
import { AlertsService, alertsFor, type AlertType } from '../modules/alerts';
import type { CurrencyEntity } from '../modules/catalog';
import { CurrencyEntity as CurrencyRow } from '../modules/catalog';
import { InvoicesService } from '../modules/invoices';
import { LedgerEntity, LedgerService, MovementEntity, type BalanceView } from '../modules/ledger';
import type { CursorCodec } from '../modules/shared';
import { AsyncQueue } from './queue';
import type { WakeKind } from './bus';
import { FairGate } from './gate';

/** One update of `creditBalanceChanged`: a committed movement and the balance after it, or a pending-only change. */
export interface BalanceUpdate {
  customerId: string;
  ledgerId: string;
  currency: CurrencyEntity;
  sequence: number;
  balance: BalanceView;
  movement: MovementEntity | null;
}

export interface AlertUpdate {
  customerId: string;
  type: AlertType;
  currency: string;
  threshold: string | null;
  balance: string;
  at: Date;
}

export interface FeedDeps {
  fork(): EntityManager;
  clock: Clock;
  cursors: CursorCodec;
  log: Log;
  /** Subscription start-up reads (see FeedHub.gate) running at once; 4 when not given. */
  startConcurrency?: number;
}

/** Pending-only updates per customer are coalesced to at most this often (SPEC §10: 4 per second). */
const PENDING_INTERVAL_MS = 250;
const PAGE = 500;

interface Listener {
  /** Movement rows the feed read, in booking order, with the balances as of the read. */
  movements(rows: MovementEntity[], balances: Map<string, BalanceView>, ledgers: Map<string, string>): void;
  pending(
    balances: Map<string, BalanceView>,
    ledgers: Map<string, { id: string; lastSequence: number }>,
  ): void;
}

/**
 * Everything one process delivers for one customer. A wake reads the customer's new movements once (by
 * per-ledger sequence, the gapless outbox order) and hands them to every listener, so N dashboards on one
 * customer cost one query per change. Listeners keep their own per-ledger cursor: they skip what they have
 * had and fill any gap from the database, so nothing is missed and nothing is sent twice.
 */
class CustomerFeed {
  readonly listeners = new Set<Listener>();
  private cursor = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private pendingTimer: NodeJS.Timeout | null = null;
  private lastPendingAt = 0;
  ready: Promise<void>;

  constructor(
    readonly customerId: string,
    private readonly hub: FeedHub,
  ) {
    this.ready = this.enqueue(async () => {
      for (const l of await hub.ledgers(customerId)) this.cursor.set(l.id, l.lastSequence);
    });
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(fn).catch((e) => {
      // reads cut off by shutdown are expected; anything else is worth a log line
      if (!this.hub.stopped) this.hub.deps.log('error', 'feed failed', { error: String(e) });
    });
    return this.chain;
  }

  wakeMovements(): void {
    void this.enqueue(() => this.pull());
  }

  wakePending(): void {
    if (this.pendingTimer) return;
    const wait = Math.max(0, this.lastPendingAt + PENDING_INTERVAL_MS - Date.now());
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = null;
      this.lastPendingAt = Date.now();
      void this.enqueue(async () => {
        const balances = await this.hub.balances(this.customerId);
        const ledgers = new Map((await this.hub.ledgers(this.customerId)).map((l) => [l.currencyId, l]));
        for (const l of this.listeners) l.pending(balances, ledgers);
      });
    }, wait);
    this.pendingTimer.unref();
  }

  private async pull(): Promise<void> {
    for (;;) {
      const rows = await this.hub.movementsAfter(this.customerId, this.cursor, null, PAGE);
      if (rows.length === 0) return;
      for (const r of rows)
        this.cursor.set(r.ledgerId, Math.max(this.cursor.get(r.ledgerId) ?? 0, r.sequence));
      const balances = await this.hub.balances(this.customerId);
      const ledgerCurrency = new Map(rows.map((r) => [r.ledgerId, r.currencyId]));
      for (const l of this.listeners) l.movements(rows, balances, ledgerCurrency);
      if (rows.length < PAGE) return;
    }
  }

  dispose(): void {
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
  }
}

/** A movement-based subscriber: its own cursor, gap filling, and ordered delivery. */
abstract class CursorListener<T> implements Listener {
  protected readonly cursor = new Map<string, number>();
  /** Closed until start(): nothing is delivered before the starting cursor is known. */
  private open!: () => void;
  private chain: Promise<void> = new Promise((resolve) => (this.open = resolve));
  protected readonly lastPending = new Map<string, string>();
  readonly queue: AsyncQueue<T>;
  /** The subscriber left: pending reads on its behalf are skipped. */
  private closed = false;

  constructor(
    protected readonly hub: FeedHub,
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
    this.chain = this.chain.then(fn).catch((e) => this.queue.fail(e));
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
    for (;;) {
      const page = await this.hub.gate.run(this.customerId, async () => {
        if (this.closed) return null;
        const rows = await this.hub.movementsAfter(
          this.customerId,
          this.cursor,
          this.currencyId,
          PAGE,
          this.fromSequence,
        );
        return rows.length === 0 ? null : { rows, balances: await this.hub.balances(this.customerId) };
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
    this.enqueue(async () => {
      for (const r of rows) if (this.wants(r.currencyId)) await this.take(r, balances);
    });
  }

  pending(
    _balances: Map<string, BalanceView>,
    _ledgers: Map<string, { id: string; lastSequence: number }>,
  ): void {}

  /** Opens delivery from these per-ledger cursors; with `replay`, first sends what came after them. */
  start(initial: Map<string, number>, replay: boolean): void {
    for (const [k, v] of initial) this.cursor.set(k, v);
    // jump the queue: the catch-up runs before anything the feed handed over while closed
    const gate = replay ? this.catchUp() : Promise.resolve();
    gate.then(this.open, (e: unknown) => {
      this.queue.fail(e);
      this.open();
    });
  }
}

const sharedUpdates = new WeakMap<MovementEntity, BalanceUpdate>();

class BalanceListener extends CursorListener<BalanceUpdate> {
  private readonly lastSettled = new Map<string, string>();

  protected deliver(row: MovementEntity, balances: Map<string, BalanceView>): void {
    // one update object per movement row the feed read: every dashboard of the customer gets the same
    // object, so graphql-ws executes each distinct subscription once for all of them (server/ws.ts)
    let update = sharedUpdates.get(row);
    if (!update) {
      const b = balances.get(row.currencyId)!;
      update = {
        customerId: this.customerId,
        ledgerId: row.ledgerId,
        currency: b.currency,
        sequence: row.sequence,
        balance: { ...b, settled: formatDecimal(new Dec(row.balanceAfter), b.currency.scale) },
        movement: row,
      };
      sharedUpdates.set(row, update);
    }
    this.lastPending.set(row.currencyId, update.balance.pending);
    this.lastSettled.set(row.currencyId, update.balance.settled);
    this.queue.push(update);
  }

  override pending(
    balances: Map<string, BalanceView>,
    ledgers: Map<string, { id: string; lastSequence: number }>,
  ): void {
    this.enqueue(async () => {
      for (const [currencyId, b] of balances) {
        if (!this.wants(currencyId) || this.lastPending.get(currencyId) === b.pending) continue;
        // a settled figure we have not sent means a movement is on its way; it will carry this pending
        const sent = this.lastSettled.get(currencyId);
        if (sent !== undefined && sent !== b.settled) continue;
        this.lastPending.set(currencyId, b.pending);
        const ledger = ledgers.get(currencyId)!;
        this.queue.push({
          customerId: this.customerId,
          ledgerId: ledger.id,
          currency: b.currency,
          sequence: this.cursor.get(ledger.id) ?? ledger.lastSequence,
          balance: b,
          movement: null,
        });
      }
    });
  }

  /** The pending figures as of subscribing, so the first pending-only update is a real change. */
  seedPending(balances: Map<string, BalanceView>): void {
    for (const [currencyId, b] of balances) {
      this.lastPending.set(currencyId, b.pending);
      this.lastSettled.set(currencyId, b.settled);
    }
  }
}

/** Thresholds read once per balances read: every alert subscriber of a customer shares one read. */
const sharedThresholds = new WeakMap<Map<string, BalanceView>, Promise<Map<string, Dec[]>>>();

class AlertListener extends CursorListener<AlertUpdate> {
  protected async deliver(row: MovementEntity, balances: Map<string, BalanceView>): Promise<void> {
    const b = balances.get(row.currencyId)!;
    let all = sharedThresholds.get(balances);
    if (!all) {
      all = this.hub.thresholds(this.customerId);
      sharedThresholds.set(balances, all);
      all.catch(() => sharedThresholds.delete(balances));
    }
    const thresholds = (await all).get(row.currencyId) ?? [];
    for (const a of alertsFor(new Dec(row.balanceBefore), new Dec(row.balanceAfter), thresholds)) {
      this.queue.push({
        customerId: this.customerId,
        type: a.type,
        currency: b.currency.code,
        threshold: a.threshold ? formatDecimal(a.threshold, b.currency.scale) : null,
        balance: formatDecimal(new Dec(row.balanceAfter), b.currency.scale),
        at: row.bookedAt,
      });
    }
  }
}

/** All live feeds of this process, woken by the event bus. */
export class FeedHub {
  private readonly feeds = new Map<string, CustomerFeed>();
  stopped = false;
  /**
   * The budget for starting subscriptions: the WebSocket server runs each subscription's start (its
   * authorization and first reads) through it, per socket, and listeners read their replay pages through it,
   * per customer. The feeds' own reads (one per customer and change) do not use it.
   */
  readonly gate: FairGate;

  /** On shutdown: no more wake-ups; feeds are dropped. */
  stop(): void {
    this.stopped = true;
    for (const f of this.feeds.values()) f.dispose();
    this.feeds.clear();
  }

  constructor(readonly deps: FeedDeps) {
    this.gate = new FairGate(deps.startConcurrency ?? 4);
  }

  get size(): number {
    let n = 0;
    for (const f of this.feeds.values()) n += f.listeners.size;
    return n;
  }

  wake(kind: WakeKind, customerIds: string[]): void {
    if (this.stopped) return;
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
    const rows = await this.deps
      .fork()
      .execute<{ customer_id: string }[]>(
        `select distinct customer_id from outbox where created_at >= ? and customer_id in (${watched.map(() => '?').join(',')})`,
        [margin.toISOString(), ...watched],
      );
    this.wake(
      'movements',
      rows.map((r) => r.customer_id),
    );
    this.wake('pending', watched);
  }

  private feed(customerId: string): CustomerFeed {
    let f = this.feeds.get(customerId);
    if (!f) {
      f = new CustomerFeed(customerId, this);
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
    const currencyId = await this.currencyId(currencyCode);
    const f = this.feed(customerId);
    // ledgers that appear after subscribing start from their first movement
    const l: BalanceListener = new BalanceListener(this, customerId, currencyId, 0, () =>
      this.detach(customerId, l),
    );
    f.listeners.add(l);
    try {
      await f.ready;
      const ledgers = await this.ledgers(customerId);
      l.seedPending(await this.balances(customerId));
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
      l.start(new Map((await this.ledgers(customerId)).map((x) => [x.id, x.lastSequence])), false);
    } catch (e) {
      this.detach(customerId, l);
      throw e;
    }
    return l.queue;
  }

  // ---- reads (each on a fresh EntityManager) ----------------------------------------------

  private ledgerService(): LedgerService {
    const em = this.deps.fork();
    return new LedgerService(
      em,
      this.deps.clock,
      this.deps.cursors,
      new InvoicesService(em, this.deps.cursors),
    );
  }

  async balances(customerId: string): Promise<Map<string, BalanceView>> {
    const list = await this.ledgerService().balances(customerId);
    return new Map(list.map((b) => [b.currency.id, b]));
  }

  async ledgers(customerId: string): Promise<{ id: string; currencyId: string; lastSequence: number }[]> {
    const rows = await this.deps.fork().find(LedgerEntity, { customerId });
    return rows.map((r) => ({ id: r.id, currencyId: r.currencyId, lastSequence: r.lastSequence }));
  }

  async thresholds(customerId: string): Promise<Map<string, Dec[]>> {
    return new AlertsService(this.deps.fork()).thresholds(customerId);
  }

  private async currencyId(code: string | null): Promise<string | null> {
    if (code === null) return null;
    const c = await this.deps.fork().findOne(CurrencyRow, { code });
    return c?.id ?? `unknown:${code}`;
  }

  /** Movements after each ledger's cursor (`fallback` for ledgers it does not know), in booking order. */
  async movementsAfter(
    customerId: string,
    cursor: Map<string, number>,
    currencyId: string | null,
    limit: number,
    fallback = 0,
  ): Promise<MovementEntity[]> {
    const known = [...cursor.entries()];
    const or: Record<string, unknown>[] = known.map(([ledgerId, seq]) => ({
      ledgerId,
      sequence: { $gt: seq },
    }));
    or.push(
      known.length
        ? { ledgerId: { $nin: known.map(([id]) => id) }, sequence: { $gt: fallback } }
        : { sequence: { $gt: fallback } },
    );
    const where: Record<string, unknown> = { customerId, $or: or };
    if (currencyId !== null) where.currencyId = currencyId;
    return this.deps.fork().find(MovementEntity, where, { orderBy: { gseq: 'asc' }, limit });
  }
}
