import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config';
import { counters } from '../core/metrics';
import type { Log } from '../core/log';
import type { Orm } from '../db/orm';
import { errorForLog } from '../core/redact';
import type { AccessService } from '../modules/access';

/** What the gauges read at scrape time (never on a request's path). */
export interface MetricsSources {
  /** A read-only SQL query on the application's pool. */
  query<T extends object>(sql: string): Promise<T[]>;
  /** The ORM pool's counts (knex/tarn). */
  pool(): { used: number; free: number; pendingAcquires: number; max: number } | null;
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max: number;
}

/** The gauges' sources on the application's ORM: its connection for queries, its knex pool for counts. */
export function ormMetricsSources(orm: Orm): MetricsSources {
  return {
    query: async <T extends object>(sql: string) => (await orm.em.getConnection().execute(sql)) as T[],
    pool() {
      const pool = (orm.em.getConnection().getKnex().client as { pool?: TarnPool }).pool;
      if (!pool) return null;
      return {
        used: pool.numUsed(),
        free: pool.numFree(),
        pendingAcquires: pool.numPendingAcquires(),
        max: pool.max,
      };
    },
  };
}

/** Live connections of this process (graphql-ws). */
export interface LiveStats {
  sockets: number;
  subscriptions: number;
}

interface Snapshot {
  jobs: {
    task: string;
    ready: string;
    scheduled: string;
    running: string;
    retrying: string;
    failed: string;
  }[];
  settlement: { unbooked: string; oldest: number | null; overdue: number | null } | null;
  outbox: { latest: string | null; newest_age: number | null; newest_at: Date | null } | null;
  webhooks: { pending: string; overdue: number | null } | null;
}

/** Operation names are chosen by clients: past this many distinct names, the rest count as "other". */
const MAX_OPERATION_NAMES = 200;
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

const JOBS_SQL = `
  select t.identifier as task,
         count(*) filter (where j.attempts < j.max_attempts and j.locked_at is null and j.run_at <= now()) as ready,
         count(*) filter (where j.attempts < j.max_attempts and j.locked_at is null and j.run_at > now()) as scheduled,
         count(*) filter (where j.locked_at is not null) as running,
         count(*) filter (where j.attempts > 0 and j.attempts < j.max_attempts) as retrying,
         count(*) filter (where j.attempts >= j.max_attempts) as failed
    from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id
   group by t.identifier`;

// open charges with an unbooked amount (charge_open_idx keeps this to the small, hot set of open charges),
// and how late the next automatic settlement run is
const SETTLEMENT_SQL = `
  select (select count(*) from charge where status = 'OPEN' and amount > booked) as unbooked,
         (select extract(epoch from now() - min(updated_at))::float8
            from charge where status = 'OPEN' and amount > booked) as oldest,
         (select greatest(0, extract(epoch from now() - min(j.run_at)))::float8
            from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
           where t.identifier = 'settle_tick' and j.locked_at is null and j.attempts < j.max_attempts) as overdue`;

const OUTBOX_SQL = `
  select (select max(id)::text from outbox) as latest,
         (select max(created_at) from outbox) as newest_at,
         (select extract(epoch from now() - max(created_at))::float8 from outbox) as newest_age`;

const WEBHOOKS_SQL = `
  select count(*) as pending,
         greatest(0, extract(epoch from now() - min(next_attempt_at)))::float8 as overdue
    from webhook_delivery where status = 'PENDING'`;

/**
 * Prometheus metrics of one server (prom-client). Hot paths only touch counters and a histogram (the
 * GraphQL plugin below, movements booked and errors in src/core/metrics.ts); every gauge is computed when
 * `/metrics` is scraped: one small query per area (jobs, settlement, outbox, webhooks) and in-process counts.
 */
export class Metrics {
  readonly registry = new Registry();
  private live: () => LiveStats = () => ({ sockets: 0, subscriptions: 0 });
  private snapshot: Snapshot = { jobs: [], settlement: null, outbox: null, webhooks: null };
  private lastNotificationAt: number | null = null;
  private readonly operationNames = new Set<string>();

  private readonly requests = new Counter({
    name: 'drawdown_graphql_requests_total',
    help: 'GraphQL operations served over HTTP, by operation name, type and outcome (ok or error)',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'drawdown_graphql_request_duration_seconds',
    help: 'Time to answer a GraphQL operation over HTTP, by operation name and type',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly notifications = new Counter({
    name: 'drawdown_live_notifications_total',
    help: 'Change notifications this process heard on its LISTEN connection (each names changed customers)',
    registers: [this.registry],
  });
  private readonly scrapeErrors = new Counter({
    name: 'drawdown_metrics_scrape_errors_total',
    help: 'Gauge queries that failed during a scrape, by area',
    labelNames: ['area'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly sources: MetricsSources,
    private readonly log: Log,
  ) {
    this.registry.registerMetric(counters.movementsBooked);
    this.registry.registerMetric(counters.graphqlErrors);
    collectDefaultMetrics({ register: this.registry });
    const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          collect(this);
        },
      });
    gauge('drawdown_ws_sockets', 'Open graphql-ws sockets', [], (g) => g.set(this.live().sockets));
    gauge('drawdown_ws_subscriptions', 'Live subscriptions open or starting', [], (g) =>
      g.set(this.live().subscriptions),
    );
    gauge('drawdown_db_pool_connections', 'ORM pool connections by state', ['state'], (g) => {
      const p = this.sources.pool();
      if (!p) return;
      g.set({ state: 'used' }, p.used);
      g.set({ state: 'free' }, p.free);
      g.set({ state: 'pending_acquires' }, p.pendingAcquires);
      g.set({ state: 'max' }, p.max);
    });
    gauge(
      'drawdown_jobs',
      'graphile-worker jobs by task and state (ready, scheduled, running, retrying, failed: out of attempts)',
      ['task', 'state'],
      (g) => {
        for (const row of this.snapshot.jobs) {
          for (const state of ['ready', 'scheduled', 'running', 'retrying', 'failed'] as const) {
            g.set({ task: row.task, state }, Number(row[state]));
          }
        }
      },
    );
    gauge('drawdown_settlement_unbooked_charges', 'Open charges with an amount not yet booked', [], (g) => {
      const s = this.snapshot.settlement;
      if (s) g.set(Number(s.unbooked));
    });
    gauge(
      'drawdown_settlement_lag_seconds',
      'Age of the oldest open charge with an unbooked amount, since it last changed (0: none)',
      [],
      (g) => {
        const s = this.snapshot.settlement;
        if (s) g.set(s.oldest ?? 0);
      },
    );
    gauge(
      'drawdown_settlement_overdue_seconds',
      'How long the next automatic settlement run is past its due time (0: on time)',
      [],
      (g) => {
        const s = this.snapshot.settlement;
        if (s && s.overdue !== null) g.set(s.overdue);
      },
    );
    gauge('drawdown_outbox_latest_id', 'Id of the newest outbox row (one per booked movement)', [], (g) => {
      const o = this.snapshot.outbox;
      if (o?.latest) g.set(Number(o.latest));
    });
    gauge(
      'drawdown_outbox_lag_seconds',
      'How long the newest outbox row has waited without this process hearing a notification since (0: heard)',
      [],
      (g) => {
        const o = this.snapshot.outbox;
        if (!o) return;
        const newest = o.newest_at ? new Date(o.newest_at).getTime() : null;
        const heard = this.lastNotificationAt;
        g.set(newest === null || (heard !== null && heard >= newest) ? 0 : (o.newest_age ?? 0));
      },
    );
    gauge(
      'drawdown_webhook_deliveries_pending',
      'Webhook deliveries waiting to be sent or retried',
      [],
      (g) => {
        const w = this.snapshot.webhooks;
        if (w) g.set(Number(w.pending));
      },
    );
    gauge(
      'drawdown_webhook_deliveries_overdue_seconds',
      'How long the most overdue pending webhook delivery is past its attempt time',
      [],
      (g) => {
        const w = this.snapshot.webhooks;
        if (w) g.set(w.overdue ?? 0);
      },
    );
  }

  /** The live socket and subscription counts, once the WebSocket server exists. */
  setLive(live: () => LiveStats): void {
    this.live = live;
  }

  /** Called for each notification the LISTEN connection hears (cheap: a counter and a timestamp). */
  noteNotification(): void {
    this.lastNotificationAt = Date.now();
    this.notifications.inc();
  }

  /** Per-operation counts and latency (HTTP). Errors by code are counted by formatError. */
  plugin(): ApolloServerPlugin {
    const done = (operation: string | null, type: string, failed: boolean, start: bigint) =>
      this.countOperation(operation, type, failed, start);
    return {
      async requestDidStart() {
        const start = process.hrtime.bigint();
        let operation: string | null = '-';
        let type = 'unknown';
        return {
          async didResolveOperation({ operation: op, operationName }) {
            type = op?.operation ?? 'unknown';
            operation = operationName ?? op?.name?.value ?? null;
          },
          async willSendResponse({ response }) {
            const body = response.body;
            done(
              operation,
              type,
              body.kind === 'single' && (body.singleResult.errors?.length ?? 0) > 0,
              start,
            );
          },
        };
      },
    };
  }

  /** One GraphQL operation answered over HTTP (Apollo's plugin and the fast path both count here). */
  countOperation(name: string | null, type: string, failed: boolean, start: bigint): void {
    const operation = name === '-' ? name : this.operationLabel(name);
    this.requests.inc({ operation, type, outcome: failed ? 'error' : 'ok' });
    this.duration.observe({ operation, type }, Number(process.hrtime.bigint() - start) / 1e9);
  }

  private operationLabel(name: string | null): string {
    if (!name) return 'anonymous';
    if (!NAME.test(name)) return 'other';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }

  /** Reads the gauges' figures from the database: one query per area, each allowed to fail alone. */
  private async refresh(): Promise<void> {
    const one = async <T extends object>(area: string, sql: string): Promise<T[] | null> => {
      try {
        return await this.sources.query<T>(sql);
      } catch (e) {
        this.scrapeErrors.inc({ area });
        this.log('warn', 'metrics query failed', { area, error: errorForLog(e) });
        return null;
      }
    };
    const [jobs, settlement, outbox, webhooks] = await Promise.all([
      one<Snapshot['jobs'][number]>('jobs', JOBS_SQL),
      one<NonNullable<Snapshot['settlement']>>('settlement', SETTLEMENT_SQL),
      one<NonNullable<Snapshot['outbox']>>('outbox', OUTBOX_SQL),
      one<NonNullable<Snapshot['webhooks']>>('webhooks', WEBHOOKS_SQL),
    ]);
    this.snapshot = {
      jobs: jobs ?? [],
      settlement: settlement?.[0] ?? null,
      outbox: outbox?.[0] ?? null,
      webhooks: webhooks?.[0] ?? null,
    };
  }

  /** GET /metrics, guarded as DRAWDOWN_METRICS says. */
  handler(config: Config, access: AccessService): RequestHandler {
    let scraping: Promise<void> | null = null;
    return async (req, res) => {
      if (!allowed(req, res, config, access)) return;
      // concurrent scrapes share one round of queries
      scraping ??= this.refresh().finally(() => {
        scraping = null;
      });
      await scraping;
      res.setHeader('Content-Type', this.registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.send(await this.registry.metrics());
    };
  }
}

function refuse(res: Response, status: number, code: string, message: string): false {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
  return false;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function allowed(req: Request, res: Response, config: Config, access: AccessService): boolean {
  const { mode, key } = config.metrics;
  if (mode === 'off') return refuse(res, 404, 'NOT_FOUND', 'Metrics are off (DRAWDOWN_METRICS=off)');
  if (mode === 'loopback') {
    // a proxy on this machine forwards remote clients from a loopback address: it names them in a header
    const proxied = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
    if (!isLoopback(req.socket.remoteAddress) || proxied) {
      return refuse(res, 403, 'FORBIDDEN', 'Metrics are served to loopback clients only (DRAWDOWN_METRICS)');
    }
    return true;
  }
  const authorization = req.headers.authorization;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!bearer) return refuse(res, 401, 'UNAUTHENTICATED', 'Send the metrics key as a Bearer token');
  if (key !== null) {
    if (timingSafeEqual(digest(bearer), digest(key))) return true;
    return refuse(res, 401, 'UNAUTHENTICATED', 'Invalid metrics key');
  }
  let kind: string;
  try {
    kind = access.authenticate(authorization).kind;
  } catch {
    return refuse(res, 401, 'UNAUTHENTICATED', 'Send an admin API key as a Bearer token');
  }
  return kind === 'admin' || refuse(res, 403, 'FORBIDDEN', 'Metrics need an admin API key');
}
