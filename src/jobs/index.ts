import { Logger, run, runMigrations, type Runner, type Task } from 'graphile-worker';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../core/clock';
import type { Log } from '../core/log';
import { InvoicesService } from '../modules/invoices';
import { DUE_TASK, LedgerService } from '../modules/ledger';
import type { CursorCodec } from '../modules/shared/cursor';

export const SWEEP_TASK = 'ledger_sweep';

export interface JobDeps {
  connectionString: string;
  fork(): EntityManager;
  clock: Clock;
  cursors: CursorCodec;
  log: Log;
  /** How often the sweep looks for due work the scheduled jobs may have missed. */
  sweepIntervalMs: number;
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
  const ledger = () => {
    const em = deps.fork();
    return new LedgerService(em, deps.clock, deps.cursors, new InvoicesService(em, deps.cursors));
  };
  const due: Task = async (payload) => {
    const { ledgerId } = payload as { ledgerId: string };
    await ledger().bookDue(ledgerId);
  };
  const sweep: Task = async (_payload, helpers) => {
    const service = ledger();
    for (const ledgerId of await service.ledgersWithDueWork()) await service.bookDue(ledgerId);
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
  const runner: Runner = await run({
    connectionString: deps.connectionString,
    concurrency: 2,
    maxPoolSize: 4,
    noHandleSignals: true,
    pollInterval: deps.pollIntervalMs ?? 500,
    logger: quietLogger(deps.log),
    taskList: { [DUE_TASK]: due, [SWEEP_TASK]: sweep },
  });
  await runner.addJob(SWEEP_TASK, {}, { jobKey: SWEEP_TASK, jobKeyMode: 'preserve_run_at' });
  return {
    async stop() {
      await runner.stop();
    },
  };
}
