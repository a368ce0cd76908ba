import { Logger, run, type Runner, type Task } from 'graphile-worker';
import type { Log } from '../core/log';
import { DELIVER_TASK } from '../modules/webhooks';
import type { ServiceRoot } from '../services';

export const WEBHOOK_SWEEP_TASK = 'webhook_sweep';

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
 * Webhook delivery on its own graphile-worker runner, which takes only webhook tasks: slow or dead
 * receivers occupy these workers, never the ledger's and settlement's, and the API never waits for them.
 * Per-endpoint concurrency is bounded by the job queues each delivery is put in (see `queueFor`).
 * A retry's job is picked up by polling; this process also nudges the runner when the retry it
 * scheduled falls due, so short test schedules keep their shape.
 */
export async function startWebhookJobs(deps: WebhookJobDeps): Promise<{ stop(): Promise<void> }> {
  if (deps.concurrency <= 0) return { stop: async () => undefined };
  const sweepIntervalMs = deps.sweepIntervalMs ?? 30_000;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
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
  const deliver: Task = async (payload) => {
    const { deliveryId } = payload as { deliveryId: string };
    const outcome = await deps.services.open().webhooks.attempt(deliveryId);
    if (outcome.retryInMs !== undefined) nudge(outcome.retryInMs);
  };
  const sweep: Task = async (_payload, helpers) => {
    const n = await deps.services.open().webhooks.sweep();
    if (n > 0) deps.log('warn', 'webhook deliveries whose job was lost were re-enqueued', { count: n });
    await helpers.addJob(
      WEBHOOK_SWEEP_TASK,
      {},
      { runAt: new Date(Date.now() + sweepIntervalMs), jobKey: WEBHOOK_SWEEP_TASK, jobKeyMode: 'replace' },
    );
  };
  const runner: Runner = await run({
    connectionString: deps.connectionString,
    concurrency: deps.concurrency,
    maxPoolSize: Math.min(deps.concurrency + 2, 12),
    noHandleSignals: true,
    pollInterval: deps.pollIntervalMs ?? 1_000,
    logger: quietLogger(deps.log),
    taskList: { [DELIVER_TASK]: deliver, [WEBHOOK_SWEEP_TASK]: sweep },
  });
  await runner.addJob(WEBHOOK_SWEEP_TASK, {}, { jobKey: WEBHOOK_SWEEP_TASK, jobKeyMode: 'preserve_run_at' });
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await runner.stop();
    },
  };
}
