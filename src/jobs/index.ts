import { Logger, run, runMigrations, type Runner, type Task, type TaskList } from 'graphile-worker';
import { runInBackground } from '../core/background';
import type { Log } from '../core/log';
import { DUE_TASK } from '../modules/ledger';
import type { ServiceRoot } from '../services';
import { TOP_UP_SWEEP_TASK } from '../modules/programs';
import { topUpTasks, watchTopUps } from './top-ups';
import { PROGRAMS_SWEEP_TASK, programsTasks } from './programs';

export const SWEEP_TASK = 'ledger_sweep';
export const SETTLE_TASK = 'settle_tick';

export interface JobDeps {
  connectionString: string;
  /** Each task run takes a fresh set of services (its own EntityManager fork) from here. */
  services: ServiceRoot;
  log: Log;
  /** How often the sweep looks for due work the scheduled jobs may have missed. */
  sweepIntervalMs: number;
  /** How long outbox rows are kept for listeners that reconnect. */
  outboxRetentionMs: number;
  /** DRAWDOWN_SETTLE_INTERVAL: how often open charges are settled automatically. */
  settleIntervalMs: number;
  /** DRAWDOWN_PROGRAMS_INTERVAL: how often credit programs are swept; 0 runs no program jobs here. */
  programsIntervalMs?: number;
  pollIntervalMs?: number;
}

function quietLogger(log: Log): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error') log('error', `jobs: ${message}`);
    else if (level === 'warning') log('warn', `jobs: ${message}`);
  });
}

/** graphile-worker's own schema (graphile_worker.*), installed or upgraded idempotently. */
export async function migrateJobs(connectionString: string, log: Log): Promise<void> {
  await runMigrations({ connectionString, logger: quietLogger(log) });
}

/**
 * Background work on graphile-worker (PostgreSQL-backed, safe with several replicas): each task calls one
 * service. `ledger_due` runs at the exact instant a grant becomes effective or expires; `ledger_sweep`
 * re-schedules itself and books anything due that was missed (a replica that was down, a lost job).
 */
export async function startJobs(deps: JobDeps): Promise<{ stop(): Promise<void> }> {
  const ledger = () => deps.services.open().ledger;
  const due: Task = async (payload) => {
    const { ledgerId } = payload as { ledgerId: string };
    await ledger().bookDue(ledgerId);
  };
  const sweep: Task = async (_payload, helpers) => {
    const service = ledger();
    for (const ledgerId of await service.ledgersWithDueWork()) await service.bookDue(ledgerId);
    await service.pruneOutbox(deps.outboxRetentionMs);
    await helpers.addJob(
      SWEEP_TASK,
      {},
      {
        runAt: new Date(Date.now() + deps.sweepIntervalMs),
        jobKey: SWEEP_TASK,
        jobKeyMode: 'replace',
      },
    );
  };
  // settles every charge with an unbooked amount and closes billing periods that ended
  const settle: Task = async (_payload, helpers) => {
    await deps.services.open().settlement.settle();
    await helpers.addJob(
      SETTLE_TASK,
      {},
      {
        runAt: new Date(Date.now() + deps.settleIntervalMs),
        jobKey: SETTLE_TASK,
        jobKeyMode: 'replace',
      },
    );
  };
  const programsIntervalMs = deps.programsIntervalMs ?? 2_000;
  const runner: Runner = await run({
    connectionString: deps.connectionString,
    concurrency: 2,
    maxPoolSize: 4,
    noHandleSignals: true,
    pollInterval: deps.pollIntervalMs ?? 500,
    logger: quietLogger(deps.log),
    taskList: markedBackground({
      [DUE_TASK]: due,
      [SWEEP_TASK]: sweep,
      [SETTLE_TASK]: settle,
      ...topUpTasks({ services: deps.services }),
      ...(programsIntervalMs > 0
        ? programsTasks({ services: deps.services, intervalMs: programsIntervalMs })
        : {}),
    }),
  });
  if (programsIntervalMs > 0) {
    await runner.addJob(PROGRAMS_SWEEP_TASK, {}, { jobKey: PROGRAMS_SWEEP_TASK, jobKeyMode: 'replace' });
  }
  await runner.addJob(SWEEP_TASK, {}, { jobKey: SWEEP_TASK, jobKeyMode: 'preserve_run_at' });
  await runner.addJob(TOP_UP_SWEEP_TASK, {}, { jobKey: TOP_UP_SWEEP_TASK, jobKeyMode: 'preserve_run_at' });
  const topUps = watchTopUps(runner, deps.services, deps.log);
  await runner.addJob(
    SETTLE_TASK,
    {},
    {
      jobKey: SETTLE_TASK,
      // replace: the interval this process was started with wins over an older schedule
      jobKeyMode: 'replace',
      runAt: new Date(Date.now() + deps.settleIntervalMs),
    },
  );
  return {
    async stop() {
      await topUps.stop();
      await runner.stop();
    },
  };
}

/** The same tasks, each run inside the background mark of `core/background`. */
export function markedBackground(tasks: TaskList): TaskList {
  const out: TaskList = {};
  for (const [name, task] of Object.entries(tasks)) {
    if (!task) continue;
    const marked: Task = (payload, helpers) => runInBackground(() => task(payload, helpers));
    out[name] = marked;
  }
  return out;
}
