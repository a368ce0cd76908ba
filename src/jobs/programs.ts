import type { JobHelpers, Task } from 'graphile-worker';
import type { ServiceRoot } from '../services';

/** The periodic safety net: runs every `programsIntervalMs` whatever happened before. */
export const PROGRAMS_SWEEP_TASK = 'programs_sweep';
/** The punctual run: at the next period start or allocation expiry the last run saw. */
export const PROGRAMS_NEXT_TASK = 'programs_next';

export interface ProgramsJobDeps {
  services: ServiceRoot;
  /** DRAWDOWN_PROGRAMS_INTERVAL: how often the sweep runs. */
  intervalMs: number;
}

/**
 * Allocations and rollovers on graphile-worker (SPEC §14). Both tasks do the same work (grant every
 * allocation period due, then roll over what expired) and re-schedule themselves under a fixed job key, so
 * one row of each exists whatever the number of processes, and a restart finds them again. What makes the
 * work exactly once is not the scheduling but the ledger's grant creation (the allocation key and the
 * rolled-from link, checked under the ledger lock and backed by unique indexes): the two tasks may run at
 * once in two processes, and a late run catches up every missed period.
 */
export function programsTasks(deps: ProgramsJobDeps): Record<string, Task> {
  const work = async (helpers: JobHelpers): Promise<void> => {
    const services = deps.services.open();
    let run = await services.allocations.grantDue();
    while (run.more) run = await services.allocations.grantDue();
    while ((await services.rollovers.rollDue()) > 0) {
      /* until nothing is left to roll */
    }
    const expiry = await services.rollovers.nextExpiry();
    const next = [run.next, expiry].filter((d): d is Date => d !== null).sort((a, b) => +a - +b)[0];
    if (next) {
      await helpers.addJob(
        PROGRAMS_NEXT_TASK,
        {},
        { runAt: next, jobKey: PROGRAMS_NEXT_TASK, jobKeyMode: 'replace', maxAttempts: 25 },
      );
    }
  };
  return {
    [PROGRAMS_SWEEP_TASK]: async (_payload, helpers) => {
      try {
        await work(helpers);
      } finally {
        await helpers.addJob(
          PROGRAMS_SWEEP_TASK,
          {},
          {
            runAt: new Date(Date.now() + deps.intervalMs),
            jobKey: PROGRAMS_SWEEP_TASK,
            jobKeyMode: 'replace',
          },
        );
      }
    },
    [PROGRAMS_NEXT_TASK]: async (_payload, helpers) => work(helpers),
  };
}
