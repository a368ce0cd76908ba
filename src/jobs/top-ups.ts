import type { Runner, Task } from 'graphile-worker';
import type { Log } from '../core/log';
import { TOP_UP_SWEEP_TASK, TOP_UP_TASK, topUpJobKey } from '../modules/programs';
import { runInBackground } from '../core/background';
import { addCommitListener } from '../modules/shared';
import type { ServiceRoot } from '../services';

/**
 * The sweep is one indexed query over the enabled rules; every 2 s keeps "within seconds" true also for what
 * books no movement (an EXTERNAL payment marked SETTLED while the balance is still below the threshold).
 */
const DEFAULT_SWEEP_MS = 2_000;

export interface TopUpJobDeps {
  services: ServiceRoot;
  /** How often the sweep looks for rules below their threshold that no wake reached (default 2 s). */
  sweepIntervalMs?: number;
}

/**
 * Auto top-up on graphile-worker (SPEC §14). `auto_top_up` checks one customer's rules (job key per
 * customer: wakes while one waits collapse into it); `auto_top_up_sweep` re-schedules itself and enqueues a
 * check for every rule whose balance is below its threshold, so a wake lost to a crash or restart is found.
 */
export function topUpTasks(deps: TopUpJobDeps): Record<string, Task> {
  const check: Task = async (payload) => {
    const { customerId } = payload as { customerId: string };
    await deps.services.open().topUps.checkCustomer(customerId);
  };
  const sweep: Task = async (_payload, helpers) => {
    for (const customerId of await deps.services.open().topUps.customersToCheck()) {
      await helpers.addJob(TOP_UP_TASK, { customerId }, { jobKey: topUpJobKey(customerId) });
    }
    await helpers.addJob(
      TOP_UP_SWEEP_TASK,
      {},
      {
        runAt: new Date(Date.now() + (deps.sweepIntervalMs ?? DEFAULT_SWEEP_MS)),
        jobKey: TOP_UP_SWEEP_TASK,
        jobKeyMode: 'replace',
      },
    );
  };
  return { [TOP_UP_TASK]: check, [TOP_UP_SWEEP_TASK]: sweep };
}

/** How long wakes are gathered before one query asks which of their customers have rules. */
const GATHER_MS = 50;

/**
 * The trigger: after a transaction that booked movements commits (publish-after-commit, never inside the
 * business transaction), the customers among them with an enabled rule get a check job. A crash between
 * commit and enqueue loses the wake, not the top-up: the sweep finds the rule below its threshold.
 */
export function watchTopUps(runner: Runner, services: ServiceRoot, log: Log): { stop(): Promise<void> } {
  const waiting = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  const flush = async () => {
    timer = null;
    const ids = [...waiting];
    waiting.clear();
    // a settlement batch may wake thousands: ask in chunks that stay far below PostgreSQL's bind limit
    for (let i = 0; i < ids.length; i += 5000) {
      const due = await services.open().topUps.customersWithEnabledRules(ids.slice(i, i + 5000));
      for (const customerId of due) {
        await runner.addJob(TOP_UP_TASK, { customerId }, { jobKey: topUpJobKey(customerId) });
      }
    }
  };
  const off = addCommitListener((changes) => {
    for (const id of changes.movements) waiting.add(id);
    if (waiting.size === 0 || timer) return;
    timer = setTimeout(() => {
      // the wake's query is background work, not traffic of the request whose commit set the timer
      flushing = flushing
        .then(() => runInBackground(flush))
        .catch((e: unknown) =>
          log('warn', 'auto top-up wake failed; the sweep will find it', { error: String(e) }),
        );
    }, GATHER_MS);
    timer.unref();
  });
  return {
    async stop() {
      off();
      if (timer) clearTimeout(timer);
      await flushing;
    },
  };
}
