import { Logger, run, type Runner, type Task } from 'graphile-worker';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import type { Log } from '../core/log';
import { DELIVER_TASK, webhookSettings, type WebhooksService } from '../modules/webhooks';
import type { ServiceRoot } from '../services';
import { markedBackground } from './index';

export const WEBHOOK_SWEEP_TASK = 'webhook_sweep';

/** How often a runner writes its heartbeat (well inside RUNNER_ALIVE_SECONDS). */
const HEARTBEAT_MS = 5_000;

export interface WebhookJobDeps {
  connectionString: string;
  services: ServiceRoot;
  log: Log;
  /** Attempts in flight in this process (DRAWDOWN_WEBHOOK_CONCURRENCY); 0: this process sends none. */
  concurrency: number;
  /** How often stalled deliveries (a process killed mid-attempt) are looked for. */
  sweepIntervalMs?: number;
  pollIntervalMs?: number;
}

function quietLogger(log: Log): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error') log('error', `webhook jobs: ${message}`);
    else if (level === 'warning') log('warn', `webhook jobs: ${message}`);
  });
}

/**
 * Runs attempts with at most `perEndpoint` in flight for one endpoint and `total` in all; the rest wait
 * in memory, per endpoint, in arrival order. A queued attempt is not lost with the process: its delivery
 * is still PENDING in the database, and the sweep gives it a new job.
 */
class AttemptPool {
  private running = 0;
  private readonly perEndpoint = new Map<string, { running: number; waiting: (() => Promise<void>)[] }>();
  /** How many held attempts (waiting or running) are due at each instant (ms): a batch shares one. */
  private readonly dues = new Map<number, number>();
  private readonly ready: string[] = []; // endpoints with waiting work and a free slot, round robin
  private idle: Promise<void> = Promise.resolve();
  private settle: (() => void) | null = null;

  constructor(
    private readonly limitPerEndpoint: () => number,
    private readonly total: number,
  ) {}

  add(endpointId: string, due: number, attempt: () => Promise<void>): void {
    let e = this.perEndpoint.get(endpointId);
    if (!e) this.perEndpoint.set(endpointId, (e = { running: 0, waiting: [] }));
    this.dues.set(due, (this.dues.get(due) ?? 0) + 1);
    const run = () =>
      attempt().finally(() => {
        const held = this.dues.get(due);
        if (held === undefined) return; // drained meanwhile
        if (held === 1) this.dues.delete(due);
        else this.dues.set(due, held - 1);
      });
    e.waiting.push(run);
    if (this.running === 0 && !this.settle) this.idle = new Promise((r) => (this.settle = r));
    if (e.running < this.limitPerEndpoint() && !this.ready.includes(endpointId)) this.ready.push(endpointId);
    this.pump();
  }

  /** The earliest due instant (ms) among the attempts held, or null when none is held. */
  oldestDue(): number | null {
    let min: number | null = null;
    for (const due of this.dues.keys()) if (min === null || due < min) min = due;
    return min;
  }

  /** Resolves when nothing runs (attempts in flight finish; the waiting ones are dropped). */
  async drain(): Promise<void> {
    for (const e of this.perEndpoint.values()) e.waiting.length = 0;
    this.dues.clear();
    this.ready.length = 0;
    if (this.running > 0) await this.idle;
  }

  private pump(): void {
    while (this.running < this.total && this.ready.length > 0) {
      const endpointId = this.ready.shift()!;
      const e = this.perEndpoint.get(endpointId);
      // a stale entry: the endpoint has nothing waiting or no free slot (it is queued again when it has)
      if (!e || e.waiting.length === 0 || e.running >= this.limitPerEndpoint()) continue;
      const run = e.waiting.shift()!;
      e.running++;
      this.running++;
      if (e.waiting.length > 0 && e.running < this.limitPerEndpoint() && !this.ready.includes(endpointId))
        this.ready.push(endpointId);
      void run()
        .catch(() => undefined)
        .finally(() => {
          e.running--;
          this.running--;
          if (e.waiting.length > 0 && !this.ready.includes(endpointId)) this.ready.push(endpointId);
          if (e.running === 0 && e.waiting.length === 0) this.perEndpoint.delete(endpointId);
          if (this.running === 0 && this.ready.length === 0) {
            this.settle?.();
            this.settle = null;
          }
          this.pump();
        });
    }
  }
}

/**
 * Webhook delivery on its own graphile-worker runner, which takes only webhook tasks, so the ledger's and
 * settlement's jobs never wait behind a receiver. A delivery job only hands its attempt to the
 * `AttemptPool` and completes: at most DRAWDOWN_WEBHOOK_ENDPOINT_CONCURRENCY attempts run for one
 * endpoint and DRAWDOWN_WEBHOOK_CONCURRENCY in all, so a slow or dead receiver holds only its own slots and
 * never the API or other endpoints. A retry's job is picked up by polling; this process also nudges the
 * runner when a retry it scheduled falls due, so short schedules keep their shape.
 */
export async function startWebhookJobs(deps: WebhookJobDeps): Promise<{ stop(): Promise<void> }> {
  if (deps.concurrency <= 0) return { stop: async () => undefined };
  const sweepIntervalMs = deps.sweepIntervalMs ?? 15_000;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const pool = new AttemptPool(() => webhookSettings.perEndpointConcurrency, deps.concurrency);
  const nudge = (afterMs: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (stopped) return;
      void deps.services
        .open()
        .em.execute(`select pg_notify('jobs:insert', '{"count":1}')`)
        .catch(() => undefined); // only a nudge: polling finds the job anyway
    }, afterMs + 5);
    t.unref();
    timers.add(t);
  };
  // the heartbeat: what this runner holds, so that the sweep leaves it alone (src/modules/webhooks/delivery.ts)
  const runnerId = `whr_${randomBytes(8).toString('hex')}`;
  let reported: number | null = null;
  let beating: Promise<void> | null = null;
  let again = false;
  const beat = () => {
    if (stopped) return;
    if (beating) {
      again = true; // what is held changed while the last one was being written
      return;
    }
    const due = pool.oldestDue();
    beating = deps.services
      .open()
      .webhooks.heartbeat(runnerId, due === null ? null : new Date(due))
      .then(() => {
        reported = due;
      })
      .catch((e: unknown) => deps.log('warn', 'webhook runner heartbeat failed', { error: String(e) }))
      .finally(() => {
        beating = null;
        if (again) {
          again = false;
          beat();
        }
      });
  };
  const heart = setInterval(beat, HEARTBEAT_MS);
  heart.unref();
  const attempt = (
    webhooks: WebhooksService,
    deliveryId: string,
    endpointId: string,
    attempts: number | null,
    due: number,
  ) => {
    pool.add(endpointId, due, async () => {
      try {
        const outcome = await webhooks.attempt(deliveryId, attempts);
        if (outcome.retryInMs !== undefined) nudge(outcome.retryInMs);
      } catch (e) {
        // the delivery stays PENDING; the sweep gives it a new job
        deps.log('warn', 'webhook attempt failed', { deliveryId, error: String(e) });
      }
    });
    // holding something older than the last heartbeat said: say so now, not at the next beat
    if (reported === null || due < reported) beat();
  };
  // a batch of first attempts (one job per recorded batch of events), or one delivery's next attempt
  const deliver: Task = (payload, helpers) => {
    const p = payload as {
      deliveries?: [string, string][];
      deliveryId?: string;
      endpointId?: string;
      attempts?: number;
      /** A swept delivery's `next_attempt_at`; otherwise the job's run_at is its deliveries' (same instant). */
      due?: string;
    };
    const due = p.due ? Date.parse(p.due) : new Date(helpers.job.run_at).getTime();
    // one set of services for the job's attempts (they run single statements, no identity map to grow)
    const webhooks = deps.services.open().webhooks;
    for (const [deliveryId, endpointId] of p.deliveries ?? [])
      attempt(webhooks, deliveryId, endpointId, p.attempts ?? 0, due);
    if (p.deliveryId) attempt(webhooks, p.deliveryId, p.endpointId ?? p.deliveryId, p.attempts ?? null, due);
  };
  const sweep: Task = async (_payload, helpers) => {
    const n = await deps.services.open().webhooks.sweep();
    if (n > 0) deps.log('info', 'webhook deliveries without a job were re-enqueued', { count: n });
    await helpers.addJob(
      WEBHOOK_SWEEP_TASK,
      {},
      { runAt: new Date(Date.now() + sweepIntervalMs), jobKey: WEBHOOK_SWEEP_TASK, jobKeyMode: 'replace' },
    );
  };
  // Asynchronous commit for this runner's own bookkeeping (taking and completing jobs): losing the last
  // few milliseconds of it in a crash only re-runs a job, and a re-run job whose attempt was already made
  // finds the attempt count moved on and sends nothing. The events themselves are committed durably with
  // their cause, elsewhere.
  const pgPool = new Pool({
    connectionString: deps.connectionString,
    max: 6,
    options: '-c synchronous_commit=off',
  });
  pgPool.on('error', (e) => deps.log('warn', 'webhook jobs: idle connection failed', { error: String(e) }));
  const runner: Runner = await run({
    pgPool,
    // the tasks only hand attempts to the pool: a few workers keep up with any number of receivers
    concurrency: 4,
    noHandleSignals: true,
    pollInterval: deps.pollIntervalMs ?? 1_000,
    logger: quietLogger(deps.log),
    taskList: markedBackground({ [DELIVER_TASK]: deliver, [WEBHOOK_SWEEP_TASK]: sweep }),
  });
  await runner.addJob(WEBHOOK_SWEEP_TASK, {}, { jobKey: WEBHOOK_SWEEP_TASK, jobKeyMode: 'preserve_run_at' });
  return {
    async stop() {
      stopped = true;
      clearInterval(heart);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await runner.stop();
      await pool.drain();
      await beating;
      await deps.services
        .open()
        .webhooks.forgetRunner(runnerId)
        .catch(() => undefined); // the row ages out of the sweep's view anyway
      await pgPool.end();
    },
  };
}
