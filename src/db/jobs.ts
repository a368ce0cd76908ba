import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Enqueues a graphile-worker job inside the caller's transaction, so the job exists exactly when the
 * change that needs it commits. `jobKey` de-duplicates: a newer job with the same key replaces the older.
 */
export async function enqueueJob(
  em: EntityManager,
  task: string,
  payload: Record<string, unknown>,
  opts: { runAt?: Date; jobKey?: string } = {},
): Promise<void> {
  await em.execute(
    `select graphile_worker.add_job(?, ?::json, run_at := ?::timestamptz, job_key := ?, max_attempts := 10)`,
    [task, JSON.stringify(payload), (opts.runAt ?? new Date()).toISOString(), opts.jobKey ?? null],
  );
}
