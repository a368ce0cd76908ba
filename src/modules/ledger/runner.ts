import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../../core/errors';
import { createLog, type Log } from '../../core/log';
import { errorForLog } from '../../core/redact';
import { claimIdempotencyKey, inOpenTransaction, inTransaction, recordIdempotentResult } from '../shared/tx';
import { LedgerTx } from './booking';

/**
 * The runner wraps a ledger use case with what cuts across all of them (STYLE habit 4): the transaction
 * and its bounded retries, the ledger lock, the idempotency key, due work, the flush, group commit, and
 * publish-after-commit (the store notes changed customers; `inTransaction` announces them after commit).
 * The use case itself only books on the locked `LedgerTx`.
 */

export interface IdempotencyClaim {
  scope: string;
  key: string | null | undefined;
  /** The request as the client sent it, without the key: same key + other input is a conflict. */
  input: unknown;
}

export interface LedgerKey {
  customerId: string;
  currencyId: string;
}

/** A use case on a locked ledger; answers the id of what it produced. */
export type LedgerWork = (tx: LedgerTx, em: EntityManager) => Promise<string>;

let log: Log = createLog('warn');

/** Where the runner reports what it recovers from (the group-commit fallback); the app passes its log. */
export function setLedgerRunnerLog(to: Log): void {
  log = to;
}

/**
 * One ledger use case in one transaction: lock the ledger, book what is due, then as a batch's job does
 * (`runJobs`): claim the idempotency key (a repeat returns the first result's id), do the work, record the
 * result; write everything.
 */
export async function runOnLedger(
  em: EntityManager,
  ledger: LedgerKey,
  now: Date,
  idempotency: IdempotencyClaim | null,
  work: LedgerWork,
): Promise<string> {
  return inTransaction(em, async (txEm) => {
    const tx = await LedgerTx.open(txEm, ledger.customerId, ledger.currencyId);
    tx.bookDue(now);
    const [result] = await runJobs(tx, txEm, ledger.customerId, [{ idempotency, work }]);
    if (result instanceof DomainError) throw result;
    await tx.flush();
    return result!;
  });
}

interface GroupedJob {
  now: Date;
  idempotency: IdempotencyClaim | null;
  work: LedgerWork;
  resolve: (id: string) => void;
  reject: (e: unknown) => void;
}

/** One ledger's jobs in a batch. */
interface LedgerGroup {
  key: string;
  ledger: LedgerKey;
  em: EntityManager;
  jobs: GroupedJob[];
}

/** Jobs not yet started, per ledger, in the order their ledgers first waited (a Map keeps it). */
const waiting = new Map<string, LedgerGroup>();
/** Ledgers with a batch in a transaction now: their next jobs wait for it (one writer per ledger here). */
const busy = new Set<string>();
let inFlight = 0;
/** Jobs of one ledger in one batch. */
const MAX_GROUP = 64;
/** Ledgers in one batch. */
const MAX_LEDGERS = 16;
/**
 * Batches in transactions at once. Under load the jobs that arrive meanwhile wait and share the next batch,
 * so PostgreSQL sees one transaction (one lock statement, one write, one commit) for many customers' jobs
 * instead of one each; an idle process starts a job at once. Bounded so that no batch waits long for a slot,
 * and more than one so that a batch waiting on a lock held elsewhere does not hold up every ledger.
 */
const MAX_IN_FLIGHT = 3;

/**
 * `runOnLedger` with group commit: concurrent use cases in this process share one transaction, those on one
 * ledger (a hot customer's ledger lock is taken once per batch instead of once per request) and those on
 * several (`MAX_IN_FLIGHT`): the ledgers are locked together in the store's global order (`openMany`) and
 * written with one statement (`flushAll`). Each job still gets its own answer: an idempotency replay or
 * conflict answers that job alone; any other failure re-runs the batch one ledger at a time, and a ledger's
 * batch that fails is logged and re-runs one job at a time (`runOnLedger`), so one bad job is one error.
 */
export function runOnLedgerGrouped(
  em: EntityManager,
  ledger: LedgerKey,
  now: Date,
  idempotency: IdempotencyClaim | null,
  work: LedgerWork,
): Promise<string> {
  // inside a caller's transaction the work belongs to it, not to a batch of other requests
  if (inOpenTransaction(em)) return runOnLedger(em, ledger, now, idempotency, work);
  const key = `${ledger.customerId}|${ledger.currencyId}`;
  return new Promise<string>((resolve, reject) => {
    let group = waiting.get(key);
    if (!group) waiting.set(key, (group = { key, ledger, em, jobs: [] }));
    group.jobs.push({ now, idempotency, work, resolve, reject });
    startBatches();
  });
}

/** Starts batches while a slot is free and a ledger that is not busy has jobs waiting. */
function startBatches(): void {
  while (inFlight < MAX_IN_FLIGHT) {
    const groups: LedgerGroup[] = [];
    for (const [key, group] of waiting) {
      if (busy.has(key)) continue;
      const jobs = group.jobs.splice(0, MAX_GROUP);
      if (group.jobs.length === 0) waiting.delete(key);
      groups.push({ ...group, jobs });
      if (groups.length >= MAX_LEDGERS) break;
    }
    if (groups.length === 0) return;
    for (const g of groups) busy.add(g.key);
    inFlight++;
    void runGroups(groups).finally(() => {
      inFlight--;
      for (const g of groups) busy.delete(g.key);
      startBatches();
    });
  }
}

/** Runs one batch in one transaction; answers per ledger, per job (an id, or its idempotency claim's DomainError). */
async function runBatch(groups: readonly LedgerGroup[]): Promise<(string | DomainError)[][]> {
  return inTransaction(groups[0]!.em, async (txEm) => {
    const txs = await LedgerTx.openMany(
      txEm,
      groups.map((g) => g.ledger),
    );
    const out: (string | DomainError)[][] = [];
    for (const [i, g] of groups.entries()) {
      const tx = txs[i]!;
      tx.bookDue(new Date(Math.max(...g.jobs.map((j) => j.now.getTime()))));
      out.push(await runJobs(tx, txEm, g.ledger.customerId, g.jobs));
    }
    await LedgerTx.flushAll(txEm, txs);
    return out;
  });
}

/**
 * Jobs on one locked ledger, in order: each claims its idempotency key (a replay answers the first result's
 * id, a conflict its DomainError, and the others go on), does its work and records its result.
 */
async function runJobs(
  tx: LedgerTx,
  txEm: EntityManager,
  customerId: string,
  jobs: readonly Pick<GroupedJob, 'idempotency' | 'work'>[],
): Promise<(string | DomainError)[]> {
  const out: (string | DomainError)[] = [];
  for (const job of jobs) {
    const idemKey = job.idempotency?.key ?? null;
    if (job.idempotency && idemKey !== null) {
      try {
        // claiming changes nothing when it answers replay or conflict: the batch goes on
        const claim = await claimIdempotencyKey(
          txEm,
          customerId,
          job.idempotency.scope,
          idemKey,
          job.idempotency.input,
        );
        if (claim.kind === 'replay') {
          out.push(claim.resultId);
          continue;
        }
      } catch (e) {
        if (e instanceof DomainError) {
          out.push(e);
          continue;
        }
        throw e;
      }
    }
    const id = await job.work(tx, txEm);
    if (job.idempotency && idemKey !== null) {
      await recordIdempotentResult(txEm, customerId, job.idempotency.scope, idemKey, id);
    }
    out.push(id);
  }
  return out;
}

/**
 * Runs a batch and answers its jobs. When it fails: a batch of several ledgers runs again one ledger at a
 * time (the others' jobs need not pay for one ledger's failure); one ledger's batch falls back to one
 * transaction per job.
 */
async function runGroups(groups: readonly LedgerGroup[]): Promise<void> {
  let results: (string | DomainError)[][];
  try {
    results = await runBatch(groups);
  } catch (cause) {
    if (groups.length > 1) {
      await Promise.all(groups.map((g) => runGroups([g])));
      return;
    }
    const g = groups[0]!;
    // a job's own DomainError (e.g. insufficient credits) is expected here; anything else is worth a look
    log(cause instanceof DomainError ? 'info' : 'warn', 'group commit fell back to one transaction per job', {
      ledger: g.key,
      jobs: g.jobs.length,
      cause: cause instanceof DomainError ? cause.code : errorForLog(cause),
    });
    await Promise.all(
      g.jobs.map((job) =>
        runOnLedger(g.em, g.ledger, job.now, job.idempotency, job.work).then(job.resolve, job.reject),
      ),
    );
    return;
  }
  groups.forEach((g, i) =>
    g.jobs.forEach((job, j) => {
      const r = results[i]![j]!;
      if (r instanceof DomainError) job.reject(r);
      else job.resolve(r);
    }),
  );
}
