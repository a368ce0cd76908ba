import type { EntityManager } from '@mikro-orm/postgresql';
import { ASYNC_COMMIT, claimAttempt, recordSuccess } from './batch';
import { retryDelayMs, type WebhookOptions } from './options';
import { DELIVER_TASK } from './record';
import { signedHeaders } from './secret';
import { sendWebhook } from './send';

export interface AttemptOutcome {
  result: 'succeeded' | 'retrying' | 'failed' | 'stopped' | 'skipped';
  /** Set when a retry was scheduled: its delay. */
  retryInMs?: number;
}

/**
 * One delivery attempt. The attempt is counted before the request goes out (a crash mid-request is an
 * attempt that got no answer). Success is a 2xx within the timeout; anything else schedules the next
 * attempt (`retryDelayMs`, the job and the delivery's `next_attempt_at` in one statement) until
 * `maxAttempts`, then FAILED. The endpoint's URL and secret are read now, so an update or a rotation
 * applies to retries at once; a disabled or deleted endpoint gets no attempt (the delivery is FAILED).
 */
export async function attemptDelivery(
  em: EntityManager,
  options: WebhookOptions,
  deliveryId: string,
  /** The attempts the job expects to find made: a second job for the same attempt then does nothing. */
  attemptsBefore: number | null = null,
): Promise<AttemptOutcome> {
  // batched with the other attempts starting now (one statement for all of them)
  const c = await claimAttempt(em, deliveryId, attemptsBefore);
  if (!c) {
    const stopped = await em.execute<{ id: string }[]>(
      `update webhook_delivery d set status = 'FAILED', next_attempt_at = null,
              last_error = 'the endpoint was disabled or deleted'
         from webhook_endpoint e
        where d.id = ? and d.status = 'PENDING' and e.id = d.endpoint_id
          and (not e.enabled or e.deleted_at is not null)
       returning d.id`,
      [deliveryId],
    );
    return { result: stopped.length > 0 ? 'stopped' : 'skipped' };
  }
  const sent = await sendWebhook({
    url: c.url,
    body: c.body,
    headers: signedHeaders(c.secret, c.event_id, c.body, new Date()),
    timeoutMs: c.timeout_ms,
    guardPrivate: options.guardPrivate,
    maxResponseBytes: options.maxResponseBytes,
  });
  if (sent.error === null) {
    await recordSuccess(em, deliveryId, sent.status!);
    return { result: 'succeeded' };
  }
  const error = sent.error.slice(0, 500);
  if (c.attempts >= c.max_attempts) {
    await em.execute(
      `update webhook_delivery set status = 'FAILED', next_attempt_at = null, last_response_status = ?,
              last_error = ?
        where id = ? and status = 'PENDING' and ${ASYNC_COMMIT}`,
      [sent.status, error, deliveryId],
    );
    return { result: 'failed' };
  }
  const delay = retryDelayMs(c.retry_base_ms, c.attempts);
  // the running job still holds this key: add_job gives the key to a new job (graphile-worker's rule)
  await em.execute(
    `with d as (
       update webhook_delivery set next_attempt_at = now() + make_interval(secs => ? / 1000.0),
              last_response_status = ?, last_error = ?
        where id = ? and status = 'PENDING' and ${ASYNC_COMMIT}
       returning id, endpoint_id, attempts, next_attempt_at
     )
     select graphile_worker.add_job(?, json_build_object('deliveryId', d.id, 'endpointId', d.endpoint_id, 'attempts', d.attempts),
              run_at := d.next_attempt_at, max_attempts := 25, job_key := d.id)
       from d`,
    [delay, sent.status, error, deliveryId, DELIVER_TASK],
  );
  return { result: 'retrying', retryInMs: delay };
}

/** How long a runner's heartbeat vouches for what it holds: a few missed beats, then the sweep takes over. */
export const RUNNER_ALIVE_SECONDS = 20;

/**
 * Pending deliveries overdue by more than an attempt could take, without a job of their own that is
 * waiting or has been running less than that, and older than anything a live runner may hold in memory
 * (`webhook_runner.oldest_held_due`), get a new job: their attempt was lost with a process (in flight, or
 * waiting its turn in the runner's memory after its batch job completed; graphile-worker frees a killed
 * process's jobs only after hours). A backlog that a live runner is working through is left to it, however
 * long it takes. A job whose attempt is made anyway finds the attempt count moved on and sends nothing.
 * At most `limit` per call.
 */
export async function sweepStalledDeliveries(em: EntityManager, limit = 2_000): Promise<number> {
  const graceSeconds = 60;
  const rows = await em.execute<{ id: string; endpoint_id: string; attempts: number; due: string }[]>(
    `with held as (
       select min(oldest_held_due) as due from webhook_runner
        where seen_at > now() - make_interval(secs => ?)
     ), gone as (
       delete from webhook_runner where seen_at < now() - interval '1 hour'
     )
     select d.id, d.endpoint_id, d.attempts, d.next_attempt_at as due from webhook_delivery d, held
      where d.status = 'PENDING'
        and d.next_attempt_at < now() - make_interval(secs => ? + d.timeout_ms / 1000.0)
        and (held.due is null or d.next_attempt_at < held.due)
        and not exists (
          select 1 from graphile_worker.jobs j
           where j.key = d.id
             and (j.locked_at is null or j.locked_at > now() - make_interval(secs => ? + d.timeout_ms / 1000.0)))
      order by d.next_attempt_at
      limit ?`,
    [RUNNER_ALIVE_SECONDS, graceSeconds, graceSeconds, limit],
  );
  if (rows.length === 0) return 0;
  const jobs = rows.map((r) => ({ id: r.id, endpoint_id: r.endpoint_id, attempts: r.attempts, due: r.due }));
  await em.execute(
    `select count(*) from graphile_worker.add_jobs((
       select array_agg(row(?, json_build_object('deliveryId', j.id, 'endpointId', j.endpoint_id,
                                                 'attempts', j.attempts, 'due', j.due),
                            null, null, 25, j.id, null, null)::graphile_worker.job_spec)
         from json_to_recordset(?::json) as j(id text, endpoint_id text, attempts int, due timestamptz)))`,
    [DELIVER_TASK, JSON.stringify(jobs)],
  );
  return rows.length;
}

/**
 * A runner's heartbeat: alive now, holding attempts due from `oldestHeldDue` on (null: holding none). The
 * sweep reads it; `forgetRunner` removes it when the runner stops.
 */
export async function heartbeatRunner(em: EntityManager, runnerId: string, oldestHeldDue: Date | null) {
  await em.execute(
    `insert into webhook_runner (id, seen_at, oldest_held_due) values (?, now(), ?)
     on conflict (id) do update set seen_at = excluded.seen_at, oldest_held_due = excluded.oldest_held_due`,
    [runnerId, oldestHeldDue],
  );
}

export async function forgetRunner(em: EntityManager, runnerId: string) {
  await em.execute(`delete from webhook_runner where id = ?`, [runnerId]);
}
