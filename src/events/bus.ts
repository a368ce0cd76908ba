import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { Log } from '../core/log';
import { fault } from '../core/fault';
import { addCommitListener, type CommittedChanges } from '../modules/shared';

export const CHANNEL = 'drawdown_changes';
export const LISTENER_APP_NAME = 'drawdown-listener';
const MAX_PAYLOAD = 7000; // NOTIFY payloads must stay under 8000 bytes
/** How far back a starting process re-announces changes (see announceRecent). */
const ANNOUNCE_RECENT_MS = 5 * 60_000;

/** The kinds of change a commit notes (`CommittedChanges`), as the bus wakes them. */
export type WakeKind = keyof CommittedChanges;

export interface BusHandlers {
  /** `own`: the change was committed by this process (its commit listeners heard of it already). */
  wake(kind: WakeKind, customerIds: string[], own: boolean): void;
  /** After the listener reconnects: catch up on what was committed while it was away. */
  catchUp(since: Date): Promise<void>;
  /** The listener connection dropped: until `catchUp`, this process may miss other processes' changes. */
  lost?(): void;
}

/**
 * Cross-replica delivery. After a transaction commits (never inside it: NOTIFY takes a cluster-wide lock
 * at commit), the customers it changed are coalesced and announced with one pg_notify per tick. Each
 * process keeps one LISTEN connection; when it drops, it reconnects with backoff and catches up.
 */
export class EventBus {
  private readonly pool: Pool;
  private listener: Client | null = null;
  private pendingMovements = new Set<string>();
  private pendingPending = new Set<string>();
  private pendingTerms = new Set<string>();
  private flushScheduled = false;
  private stopped = false;
  private disconnectedAt: Date | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private removeCommitListener: (() => void) | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** Marks this process's notifications, so it can tell them from other processes' (`wake`'s `own`). */
  private readonly origin = randomUUID();

  constructor(
    private readonly connectionString: string,
    private readonly handlers: BusHandlers,
    private readonly log: Log,
  ) {
    this.pool = new Pool({ connectionString, max: 2, application_name: 'drawdown-notify' });
    this.pool.on('error', (e) => log('warn', 'notify pool error', { error: String(e) }));
  }

  async start(): Promise<void> {
    await this.connectListener();
    this.removeCommitListener = addCommitListener((c) => {
      void fault('commit.notify', () => [...c.movements, ...c.pending]);
      this.publish(c);
    });
    await this.announceRecent();
  }

  /**
   * A process killed after a commit and before its NOTIFY leaves a change no replica heard of until that
   * customer's next one. A starting process (typically the killed one's replacement) announces every
   * customer the outbox saw change lately; listeners read by sequence, so what they already had costs one
   * empty read.
   */
  private async announceRecent(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ customer_id: string }>(
        `select distinct customer_id from outbox where created_at >= now() - make_interval(secs => $1)`,
        [ANNOUNCE_RECENT_MS / 1000],
      );
      if (rows.length > 0)
        this.publish({
          movements: new Set(rows.map((r) => r.customer_id)),
          pending: new Set(),
          terms: new Set(),
        });
    } catch (e) {
      this.log('warn', 'could not announce recent changes', { error: String(e) });
    }
  }

  publish(c: CommittedChanges): void {
    for (const id of c.movements) this.pendingMovements.add(id);
    for (const id of c.pending) this.pendingPending.add(id);
    for (const id of c.terms) this.pendingTerms.add(id);
    if (this.flushScheduled || this.stopped) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushing = this.flushing.then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const m = [...this.pendingMovements];
    const p = [...this.pendingPending].filter((id) => !this.pendingMovements.has(id));
    const t = [...this.pendingTerms];
    this.pendingMovements.clear();
    this.pendingPending.clear();
    this.pendingTerms.clear();
    // `t` is always present: a payload without it comes from a process of the previous release
    const payloads: string[] = [];
    const empty = () => ({ m: [] as string[], p: [] as string[], t: [] as string[] });
    let cur = empty();
    const push = (kind: 'm' | 'p' | 't', id: string) => {
      cur[kind].push(id);
      if (JSON.stringify(cur).length > MAX_PAYLOAD) {
        cur[kind].pop();
        payloads.push(JSON.stringify({ ...cur, o: this.origin }));
        cur = empty();
        cur[kind].push(id);
      }
    };
    m.forEach((id) => push('m', id));
    p.forEach((id) => push('p', id));
    t.forEach((id) => push('t', id));
    if (cur.m.length || cur.p.length || cur.t.length)
      payloads.push(JSON.stringify({ ...cur, o: this.origin }));
    for (const payload of payloads) {
      try {
        await this.pool.query('select pg_notify($1, $2)', [CHANNEL, payload]);
      } catch (e) {
        // the listeners' catch-up after a reconnect, and the next change, still deliver everything
        this.log('warn', 'pg_notify failed', { error: String(e) });
      }
    }
  }

  private async connectListener(): Promise<void> {
    const client = new Client({
      connectionString: this.connectionString,
      application_name: LISTENER_APP_NAME,
    });
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      try {
        const { m, p, t, o } = JSON.parse(n.payload) as {
          m?: string[];
          p?: string[];
          t?: string[];
          o?: string;
        };
        const own = o === this.origin;
        if (m?.length) this.handlers.wake('movements', m, own);
        if (p?.length) this.handlers.wake('pending', p, own);
        // a process of the previous release sends no `t` and notes a subscription change as pending only
        const terms = t ?? p;
        if (terms?.length) this.handlers.wake('terms', terms, own);
      } catch (e) {
        this.log('warn', 'bad notification payload', { error: String(e) });
      }
    });
    const lost = (e?: unknown) => {
      if (this.listener !== client) return;
      this.listener = null;
      this.disconnectedAt ??= new Date();
      this.handlers.lost?.();
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (!this.stopped) {
        this.log('warn', 'listener connection lost; reconnecting', { error: e ? String(e) : undefined });
        this.scheduleReconnect(100);
      }
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    await client.query(`listen ${CHANNEL}`);
    this.listener = client;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.reconnectTimer || this.stopped) return;
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      try {
        // a listener may already be back from an earlier attempt whose catch-up failed: keep it
        if (!this.listener) await this.connectListener();
        const since = this.disconnectedAt ?? new Date();
        this.log('info', 'listener reconnected; catching up', { since: since.toISOString() });
        await this.handlers.catchUp(since);
        // only a completed catch-up forgets when the connection was lost
        this.disconnectedAt = null;
      } catch (e) {
        this.log('warn', 'listener reconnect or catch-up failed; retrying', { error: String(e) });
        this.scheduleReconnect(Math.min(delayMs * 2, 5000));
      }
    }, delayMs);
    this.reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.removeCommitListener?.();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.flushing;
    const l = this.listener;
    this.listener = null;
    await l?.end().catch(() => undefined);
    await this.pool.end();
  }
}
