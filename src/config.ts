import path from 'node:path';

/** Everything the process reads from its environment, parsed once into a frozen object. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly migrate: boolean;
  /**
   * DRAWDOWN_DB_POOL_SIZE: PostgreSQL connections this process keeps at most. Each is a backend process on
   * the database server, so more connections than its cores can run only compete for them.
   */
  readonly dbPoolSize: number;
  readonly apiKeys: readonly string[];
  readonly production: boolean;
  readonly settleIntervalMs: number;
  /** DRAWDOWN_PROGRAMS_INTERVAL: how often allocations and rollovers are swept (0: not in this process). */
  readonly programsIntervalMs: number;
  readonly outboxRetentionMs: number;
  /**
   * DRAWDOWN_ROLE: `all` serves the API, runs the jobs and sends webhooks; `api` sends no webhooks; `worker`
   * only sends webhooks (no HTTP), at a lower CPU priority (DRAWDOWN_WORKER_NICE), so API replicas on the
   * same machine keep their latency.
   */
  readonly role: 'all' | 'api' | 'worker';
  /** DRAWDOWN_WORKER_NICE: how much a `worker` lowers its own CPU priority (0-19; 0 leaves it). */
  readonly workerNice: number;
  /** Webhook delivery (SPEC §15). */
  readonly webhooks: {
    /** DRAWDOWN_WEBHOOK_RETRY_BASE: the first retry's delay; each later one doubles, jittered. */
    readonly retryBaseMs: number;
    /** DRAWDOWN_WEBHOOK_MAX_ATTEMPTS: attempts in all before a delivery is FAILED. */
    readonly maxAttempts: number;
    /** DRAWDOWN_WEBHOOK_TIMEOUT: a 2xx must arrive within this. */
    readonly timeoutMs: number;
    /** DRAWDOWN_WEBHOOK_ALLOW_PRIVATE: in production, allow loopback, private and link-local targets. */
    readonly allowPrivate: boolean;
    /** DRAWDOWN_WEBHOOK_CONCURRENCY: attempts in flight in this process, over all endpoints; 0 sends none. */
    readonly concurrency: number;
    /** DRAWDOWN_WEBHOOK_ENDPOINT_CONCURRENCY: attempts in flight for one endpoint, per process. */
    readonly endpointConcurrency: number;
  };
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** `/metrics` (docs/operations.md): DRAWDOWN_METRICS off | loopback | key, DRAWDOWN_METRICS_KEY. */
  readonly metrics: {
    readonly mode: 'off' | 'loopback' | 'key';
    /** With mode `key`: this bearer value, or (unset) any admin API key. */
    readonly key: string | null;
  };
  readonly limits: {
    readonly maxDepth: number;
    /** graphql-armor's cost: 2 per object field, 1 per scalar, times a literal first/last. */
    readonly maxCost: number;
    /** Objects a query may return, counting a connection without first/last at its default page size. */
    readonly maxNodes: number;
    readonly maxAliases: number;
    readonly maxDirectives: number;
    /** Parser tokens per document, over HTTP and WebSocket. */
    readonly maxTokens: number;
    readonly maxPageSize: number;
    readonly bodyBytes: number;
    readonly wsMessageBytes: number;
    /** Live subscriptions open or starting on one WebSocket. */
    readonly maxSubscriptionsPerSocket: number;
    /** Live subscriptions of one admin key or customer token, over all its sockets in this process. */
    readonly maxSubscriptionsPerToken: number;
    /** Subscription start-up work (authorization, first reads, replay pages) running at once, process-wide. */
    readonly subscriptionStartConcurrency: number;
  };
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = int(env, name, fallback);
  if (n < 1) throw new Error(`${name} must be at least 1, got ${n}`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

/** Parses an ISO-ish seconds value like "10", "10s" or "500ms" into milliseconds. */
function durationMs(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const m = /^([0-9]+)(ms|s)?$/.exec(raw);
  if (!m) throw new Error(`${name} must be a duration like 10s or 500ms, got "${raw}"`);
  return m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
}

function role(env: NodeJS.ProcessEnv): Config['role'] {
  const raw = env.DRAWDOWN_ROLE;
  if (raw === undefined || raw === '') return 'all';
  if (raw !== 'all' && raw !== 'api' && raw !== 'worker')
    throw new Error(`DRAWDOWN_ROLE must be all, api or worker, got "${raw}"`);
  // two processes cannot share the embedded database: a worker joins the API's PostgreSQL
  if (raw === 'worker' && !env.DATABASE_URL)
    throw new Error('DRAWDOWN_ROLE=worker needs DATABASE_URL (the database the API uses)');
  return raw;
}

function metricsMode(raw: string | undefined): Config['metrics']['mode'] {
  if (raw === undefined || raw === '') return 'loopback';
  if (raw === 'off' || raw === 'loopback' || raw === 'key') return raw;
  throw new Error(`DRAWDOWN_METRICS must be off, loopback or key, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const level = env.LOG_LEVEL ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new Error(`LOG_LEVEL must be debug|info|warn|error`);
  return Object.freeze({
    port: int(env, 'PORT', 4000),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL && env.DATABASE_URL !== '' ? env.DATABASE_URL : null,
    dataDir: path.resolve(env.DRAWDOWN_DATA_DIR ?? '.data'),
    migrate: bool(env, 'DRAWDOWN_MIGRATE', true),
    dbPoolSize: positive(env, 'DRAWDOWN_DB_POOL_SIZE', 20),
    apiKeys: Object.freeze(
      (env.DRAWDOWN_API_KEYS ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k.length > 0),
    ),
    production: env.NODE_ENV === 'production',
    settleIntervalMs: durationMs(env, 'DRAWDOWN_SETTLE_INTERVAL', 10_000),
    programsIntervalMs: durationMs(env, 'DRAWDOWN_PROGRAMS_INTERVAL', 2_000),
    outboxRetentionMs: durationMs(env, 'DRAWDOWN_OUTBOX_RETENTION', 24 * 3600_000),
    role: role(env),
    workerNice: Math.min(19, int(env, 'DRAWDOWN_WORKER_NICE', 10)),
    webhooks: Object.freeze({
      retryBaseMs: durationMs(env, 'DRAWDOWN_WEBHOOK_RETRY_BASE', 5_000),
      maxAttempts: Math.max(1, int(env, 'DRAWDOWN_WEBHOOK_MAX_ATTEMPTS', 8)),
      timeoutMs: Math.max(1, durationMs(env, 'DRAWDOWN_WEBHOOK_TIMEOUT', 10_000)),
      allowPrivate: bool(env, 'DRAWDOWN_WEBHOOK_ALLOW_PRIVATE', false),
      concurrency: int(env, 'DRAWDOWN_WEBHOOK_CONCURRENCY', 10),
      endpointConcurrency: Math.max(1, int(env, 'DRAWDOWN_WEBHOOK_ENDPOINT_CONCURRENCY', 4)),
    }),
    logLevel: level as Config['logLevel'],
    metrics: Object.freeze({
      mode: metricsMode(env.DRAWDOWN_METRICS),
      key: env.DRAWDOWN_METRICS_KEY && env.DRAWDOWN_METRICS_KEY !== '' ? env.DRAWDOWN_METRICS_KEY : null,
    }),
    limits: Object.freeze({
      maxDepth: int(env, 'DRAWDOWN_MAX_DEPTH', 12),
      maxCost: int(env, 'DRAWDOWN_MAX_COST', 20_000),
      maxNodes: int(env, 'DRAWDOWN_MAX_NODES', 5_000),
      maxAliases: int(env, 'DRAWDOWN_MAX_ALIASES', 30),
      maxDirectives: int(env, 'DRAWDOWN_MAX_DIRECTIVES', 50),
      maxTokens: int(env, 'DRAWDOWN_MAX_TOKENS', 20_000),
      maxPageSize: 100,
      bodyBytes: int(env, 'DRAWDOWN_MAX_BODY_BYTES', 1_048_576),
      wsMessageBytes: int(env, 'DRAWDOWN_MAX_WS_MESSAGE_BYTES', 262_144),
      maxSubscriptionsPerSocket: int(env, 'DRAWDOWN_MAX_SUBSCRIPTIONS_PER_SOCKET', 100),
      maxSubscriptionsPerToken: int(env, 'DRAWDOWN_MAX_SUBSCRIPTIONS_PER_TOKEN', 500),
      subscriptionStartConcurrency: int(env, 'DRAWDOWN_SUBSCRIPTION_START_CONCURRENCY', 4),
    }),
  });
}
