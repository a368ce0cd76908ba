/**
 * Test-only fault injection for the crash tests (docs/crash-safety.md). `DRAWDOWN_FAULT_POINT` names one
 * point; when execution reaches it the process dies with SIGKILL: no handler runs, nothing is rolled back
 * or flushed by us, exactly as after a power cut or the OOM killer. PostgreSQL then rolls back the open
 * transaction, which is what the tests prove.
 *
 * `DRAWDOWN_FAULT_MODE=pause` instead holds execution at the point (the transaction stays open) until the
 * process receives SIGUSR2, so a test can kill the database connection under it. `DRAWDOWN_FAULT_SKIP=n`
 * lets the first n arrivals pass. `DRAWDOWN_FAULT_CUSTOMER=<id>` arms the point only for work on that
 * customer, so background work on other data (jobs, sweeps) passes. Either way the process announces the
 * point on stderr first.
 *
 * Unset, `fault()` does nothing: the environment is read once, at load.
 */
export type FaultPoint =
  /** Inside a settlement batch: movements written, charges not yet updated, before commit. */
  | 'settlement.batch'
  /** Inside a grant's funding: the grant (or its payment) written, before commit. */
  | 'grant.funding'
  /** Inside a usage batch: events inserted and charges re-priced, before commit. */
  | 'usage.batch'
  /** After a transaction committed, before its changes are published (pg_notify). */
  | 'commit.notify';

const POINT = process.env.DRAWDOWN_FAULT_POINT || null;
const CUSTOMER = process.env.DRAWDOWN_FAULT_CUSTOMER || null;
const PAUSE = process.env.DRAWDOWN_FAULT_MODE === 'pause';
let skip = Number(process.env.DRAWDOWN_FAULT_SKIP ?? '0') || 0;

/**
 * Await it at a fault point: `await fault('usage.batch', () => customerIds)`, naming (lazily: nothing is
 * computed unless armed) the customers whose work reached it. A no-op unless the point is armed (for one of those customers).
 */
export function fault(at: FaultPoint, customerIds: () => Iterable<string>): Promise<void> | undefined {
  if (POINT !== at) return undefined;
  if (CUSTOMER !== null && ![...customerIds()].includes(CUSTOMER)) return undefined;
  if (skip > 0) {
    skip--;
    return undefined;
  }
  // pipes to a parent process are written synchronously on Linux: the line is out before the kill
  process.stderr.write(`DRAWDOWN_FAULT ${at} ${PAUSE ? 'paused' : 'kill'} pid=${process.pid}\n`);
  if (!PAUSE) {
    process.kill(process.pid, 'SIGKILL');
    // not one more statement (a COMMIT) may leave while the signal lands: block this thread
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
    return undefined;
  }
  return new Promise((resolve) => process.once('SIGUSR2', () => resolve()));
}
