import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../../core/errors';
import { createLog, type Log } from '../../core/log';
import { errorForLog } from '../../core/redact';
import { claimIdempotencyKey, inTransaction, recordIdempotentResult } from '../shared/tx';
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
 * One ledger use case in one transaction: lock the ledger, claim the idempotency key (a repeat returns the
 * first result's id), book what is due, do the work, write everything, record the result.
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
    const key = idempotency?.key ?? null;
    if (idempotency && key !== null) {
      const claim = await claimIdempotencyKey(
        txEm,
        ledger.customerId,
        idempotency.scope,
        key,
        idempotency.input,
      );
      if (claim.kind === 'replay') return claim.resultId;
    }
    tx.bookDue(now);
    const resultId = await work(tx, txEm);
    await tx.flush();
    if (idempotency && key !== null)
      await recordIdempotentResult(txEm, ledger.customerId, idempotency.scope, key, resultId);
    return resultId;
  });
}

interface GroupedJob {
  now: Date;
  idempotency: IdempotencyClaim | null;
  work: LedgerWork;
  resolve: (id: string) => void;
  reject: (e: unknown) => void;
}

/** Jobs waiting per ledger in this process; the first caller drains them (group commit). */
const waiting = new Map<string, GroupedJob[]>();
const MAX_GROUP = 64;

/**
 * `runOnLedger` with group commit: concurrent use cases on one ledger in this process share one
 * transaction, so a hot customer's ledger lock is taken once per batch instead of once per request. Each
 * job still gets its own answer: an idempotency replay or conflict answers that job alone; any other
 * failure is logged and re-runs every job of the batch on its own (`runOnLedger`), so one bad job is one
 * error.
 */
export function runOnLedgerGrouped(
  em: EntityManager,
  ledger: LedgerKey,
  now: Date,
  idempotency: IdempotencyClaim | null,
  work: LedgerWork,
): Promise<string> {
  const key = `${ledger.customerId}|${ledger.currencyId}`;
  return new Promise<string>((resolve, reject) => {
    const job: GroupedJob = { now, idempotency, work, resolve, reject };
    const queue = waiting.get(key);
    if (queue) {
      queue.push(job);
      return;
    }
    const fresh = [job];
    waiting.set(key, fresh);
    void drainGroup(em, ledger, key, fresh);
  });
}

/** Runs one batch in one transaction; answers per job (an id, or the DomainError of its idempotency claim). */
async function runBatch(
  em: EntityManager,
  ledger: LedgerKey,
  batch: readonly GroupedJob[],
): Promise<(string | DomainError)[]> {
  const now = new Date(Math.max(...batch.map((j) => j.now.getTime())));
  return inTransaction(em, async (txEm) => {
    const tx = await LedgerTx.open(txEm, ledger.customerId, ledger.currencyId);
    tx.bookDue(now);
    const out: (string | DomainError)[] = [];
    for (const job of batch) {
      const idemKey = job.idempotency?.key ?? null;
      if (job.idempotency && idemKey !== null) {
        try {
          // claiming changes nothing when it answers replay or conflict: the batch goes on
          const claim = await claimIdempotencyKey(
            txEm,
            ledger.customerId,
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
        await recordIdempotentResult(txEm, ledger.customerId, job.idempotency.scope, idemKey, id);
      }
      out.push(id);
    }
    await tx.flush();
    return out;
  });
}

async function drainGroup(
  em: EntityManager,
  ledger: LedgerKey,
  key: string,
  queue: GroupedJob[],
): Promise<void> {
  while (queue.length > 0) {
    const batch = queue.splice(0, MAX_GROUP);
    let results: (string | DomainError)[];
    try {
      results = await runBatch(em, ledger, batch);
    } catch (cause) {
      // a job's own DomainError (e.g. insufficient credits) is expected here; anything else is worth a look
      log(
        cause instanceof DomainError ? 'info' : 'warn',
        'group commit fell back to one transaction per job',
        {
          ledger: key,
          jobs: batch.length,
          cause: cause instanceof DomainError ? cause.code : errorForLog(cause),
        },
      );
      for (const job of batch)
        runOnLedger(em, ledger, job.now, job.idempotency, job.work).then(job.resolve, job.reject);
      continue;
    }
    batch.forEach((job, i) => {
      const r = results[i]!;
      if (r instanceof DomainError) job.reject(r);
      else job.resolve(r);
    });
  }
  waiting.delete(key);
}
