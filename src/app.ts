import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './config';
import { systemClock, type Clock } from './core/clock';
import type { Log } from './core/log';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded';
import { migrate, openOrm, withMigrationLock, type Orm, type QueryObserver } from './db/orm';
import { createSchema } from './graphql/schema';
import type { AppDeps } from './graphql/context';
import { allEntities } from './modules';
import { setLedgerRunnerLog } from './modules/ledger';
import { createServices } from './services';
import { loadOrCreateSecret } from './modules/settings';
import { startServer } from './server/http';
import { Metrics, ormMetricsSources } from './server/metrics';
import { migrateJobs, startJobs } from './jobs';
import { startWebhookJobs } from './jobs/webhooks';
import { configureWebhookSettings } from './modules/webhooks';
import { EventBus } from './events/bus';
import { FeedHub } from './events/feeds';

export interface Drawdown {
  /** Where the API listens; empty for a `worker` (DRAWDOWN_ROLE), which serves no HTTP. */
  url: string;
  port: number;
  databaseUrl: string;
  orm: Orm;
  /** Graceful: stop accepting, finish in-flight requests, close sockets, pool, embedded database. */
  stop(): Promise<void>;
}

const KEY_FILE = 'admin-api-key';

/**
 * Admin keys come from DRAWDOWN_API_KEYS; without it, one is generated on first start, kept in the data
 * directory (mode 600) and printed once.
 */
export function resolveAdminKeys(
  config: Config,
  announce: (key: string) => void,
): { keys: string[]; generated: string | null } {
  if (config.apiKeys.length > 0) return { keys: [...config.apiKeys], generated: null };
  const file = path.join(config.dataDir, KEY_FILE);
  if (fs.existsSync(file)) {
    const key = fs.readFileSync(file, 'utf8').trim();
    return { keys: [key], generated: key };
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const key = `dd_admin_${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  announce(key);
  return { keys: [key], generated: key };
}

/**
 * DRAWDOWN_ROLE=worker: webhook delivery only, with no HTTP server, live feeds or other jobs, so that
 * sending webhooks never competes with an API process for its event loop (docs/webhooks.md).
 */
async function startWorker(
  config: Config,
  log: Log,
  databaseUrl: string,
  orm: Orm,
  services: ReturnType<typeof createServices>,
): Promise<Drawdown> {
  const webhookJobs = await startWebhookJobs({
    connectionString: databaseUrl,
    services,
    log,
    concurrency: config.webhooks.concurrency,
  });
  let stopping: Promise<void> | null = null;
  return {
    url: '',
    port: 0,
    databaseUrl,
    orm,
    stop() {
      stopping ??= (async () => {
        await webhookJobs.stop();
        await orm.close(true);
      })();
      return stopping;
    },
  };
}

export async function startDrawdown(
  config: Config,
  log: Log,
  opts: { clock?: Clock; announceKey?: (key: string) => void; onQuery?: QueryObserver } = {},
): Promise<Drawdown> {
  const clock = opts.clock ?? systemClock;
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(config.dataDir, 'pg'),
      persistent: true,
      log: (line) => log('debug', 'postgres', { line: line.trim() }),
    });
    databaseUrl = embedded.url;
    log('info', 'embedded PostgreSQL started', { dataDir: path.join(config.dataDir, 'pg') });
  }
  const orm = await openOrm(databaseUrl, allEntities, config.dbPoolSize, opts.onQuery);
  // what has been started so far, undone in reverse when a later step fails (quietly, without job errors)
  const started: (() => unknown)[] = [];
  try {
    if (config.migrate) {
      const url = databaseUrl;
      // an advisory lock: replicas starting together migrate one after another
      await withMigrationLock(
        url,
        async () => {
          const applied = await migrate(orm);
          if (applied.length > 0) log('info', 'migrations applied', { applied });
          await migrateJobs(url, log);
        },
        () => log('info', 'another process is applying migrations; waiting for it'),
      );
    }
    const secret = await loadOrCreateSecret(orm.em.fork(), 'signing_secret');
    // a worker serves no API: it neither needs nor generates an admin key
    const { keys, generated } =
      config.role === 'worker'
        ? { keys: [], generated: null }
        : resolveAdminKeys(config, opts.announceKey ?? (() => undefined));
    const hooks = config.webhooks;
    configureWebhookSettings({
      perEndpointConcurrency: hooks.endpointConcurrency,
      retryBaseMs: hooks.retryBaseMs,
      maxAttempts: hooks.maxAttempts,
      timeoutMs: hooks.timeoutMs,
    });
    const services = createServices({
      fork: () => orm.em.fork(),
      clock,
      secret,
      adminKeys: keys,
      webhooks: {
        guardPrivate: config.production && !hooks.allowPrivate,
        maxResponseBytes: 4_096,
      },
    });
    setLedgerRunnerLog(log); // the ledger's group commit reports its fallbacks here
    if (config.role === 'worker') return await startWorker(config, log, databaseUrl, orm, services);
    const feeds = new FeedHub({
      services,
      log,
      startConcurrency: config.limits.subscriptionStartConcurrency,
    });
    feeds.start(); // the feeds hear this process's commits at once, every other process's through the bus
    const metrics = new Metrics(ormMetricsSources(orm), log);
    // what is kept between requests (checks, history) hears this process's commits at once (start), and
    // every other process's through the bus
    const changes = services.changes;
    changes.start();
    const bus = new EventBus(
      databaseUrl,
      {
        wake: (kind, customerIds, own) => {
          metrics.noteNotification();
          // this process's own commits reached the change counter and the feeds synchronously, at commit
          if (own) return;
          changes.heard(kind, customerIds);
          feeds.wake(kind, customerIds);
        },
        catchUp: (since) => {
          changes.online();
          return feeds.catchUp(since);
        },
        lost: () => changes.offline(),
      },
      log,
    );
    await bus.start();
    changes.online(); // the listener is listening: no other process's change can go unheard from here on
    started.push(
      () => changes.stop(),
      () => feeds.stop(),
      () => bus.stop(),
    );
    const deps: AppDeps = { config, clock, access: services.access, services, feeds };
    const jobs = await startJobs({
      connectionString: databaseUrl,
      services,
      log,
      sweepIntervalMs: 10_000,
      outboxRetentionMs: config.outboxRetentionMs,
      settleIntervalMs: config.settleIntervalMs,
      programsIntervalMs: config.programsIntervalMs,
    });
    started.push(() => jobs.stop());
    const webhookJobs = await startWebhookJobs({
      connectionString: databaseUrl,
      services,
      log,
      concurrency: config.role === 'api' ? 0 : hooks.concurrency,
    });
    started.push(() => webhookJobs.stop());
    const schema = await createSchema();
    const server = await startServer(
      deps,
      schema,
      {
        port: config.port,
        host: config.host,
        sandboxKey: config.production ? null : generated,
        metrics,
        ready: async () => {
          await orm.em.getConnection().execute('select 1');
          return true;
        },
      },
      log,
    );
    let stopping: Promise<void> | null = null;
    return {
      url: server.url,
      port: server.port,
      databaseUrl,
      orm,
      stop() {
        stopping ??= (async () => {
          await server.close();
          changes.stop();
          feeds.stop();
          await jobs.stop();
          await webhookJobs.stop();
          await bus.stop();
          await orm.close(true);
          if (embedded) await embedded.stop();
        })();
        return stopping;
      },
    };
  } catch (e) {
    for (const undo of started.reverse()) await (async () => undo())().catch(() => undefined);
    await orm.close(true).catch(() => undefined);
    if (embedded) await embedded.stop().catch(() => undefined);
    throw e;
  }
}
