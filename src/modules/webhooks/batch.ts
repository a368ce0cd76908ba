import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Group commit for delivery attempts: calls made while a statement is in flight wait and go together in
 * the next one, so N attempts running at once cost about one statement per round trip instead of N. The
 * first call after a quiet spell runs at once (no timer, no added latency).
 */
export class Coalescer<In, Out> {
  private queue: { input: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly max = 200,
  ) {}

  push(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.running) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.max);
      try {
        const outs = await this.run(batch.map((b) => b.input));
        batch.forEach((b, i) => b.resolve(outs[i]!));
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.running = false;
  }
}

/**
 * A condition that switches the statement's own transaction to asynchronous commit (no wait for the WAL
 * flush). An attempt's state is the one thing a crash may lose a few milliseconds of, and that costs only
 * a repeated attempt (receivers deduplicate by `webhook-id`) or, for a scheduled retry, a delivery the
 * sweep finds without a job. Waiting for two flushes per attempt was most of an attempt's cost.
 */
export const ASYNC_COMMIT = `set_config('synchronous_commit', 'off', true) is not null`;

/** What an attempt needs, read as the attempt is counted. */
export interface Claim {
  attempts: number;
  max_attempts: number;
  retry_base_ms: number;
  timeout_ms: number;
  endpoint_id: string;
  url: string;
  secret: string;
  event_id: string;
  body: string;
}

interface ClaimRequest {
  id: string;
  /** The attempts the caller expects to find made (null: whatever the count is). */
  attempts: number | null;
}

/**
 * Counts one attempt of each delivery that is PENDING, whose endpoint is enabled and not deleted and
 * (when given) whose attempt count is the expected one, in one statement; returns the claim or null per
 * request. The same delivery twice in a batch is claimed once (the second request gets null).
 */
async function claimMany(em: EntityManager, reqs: ClaimRequest[]): Promise<(Claim | null)[]> {
  const first = new Map<string, number>();
  reqs.forEach((r, i) => first.has(r.id) || first.set(r.id, i));
  const unique = [...first.keys()].map((id) => reqs[first.get(id)!]!);
  const rows = await em.execute<(Claim & { id: string })[]>(
    `update webhook_delivery d set attempts = d.attempts + 1, last_attempt_at = now()
       from json_to_recordset(?::json) as w(id text, attempts int), webhook_endpoint e, webhook_event ev
      where d.id = w.id and d.status = 'PENDING' and e.id = d.endpoint_id and ev.id = d.event_id
        and e.enabled and e.deleted_at is null and (w.attempts is null or d.attempts = w.attempts)
        and ${ASYNC_COMMIT}
     returning d.id, d.attempts, d.max_attempts, d.retry_base_ms, d.timeout_ms, d.endpoint_id, e.url, e.secret,
               ev.id as event_id, ev.body`,
    [JSON.stringify(unique)],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return reqs.map((r, i) => (first.get(r.id) === i ? (byId.get(r.id) ?? null) : null));
}

/** Marks deliveries SUCCEEDED with their response status, in one statement. */
async function succeedMany(em: EntityManager, rows: { id: string; status: number }[]): Promise<void[]> {
  await em.execute(
    `update webhook_delivery d set status = 'SUCCEEDED', next_attempt_at = null,
            last_response_status = r.status, last_error = null
       from json_to_recordset(?::json) as r(id text, status int)
      where d.id = r.id and d.status = 'PENDING' and ${ASYNC_COMMIT}`,
    [JSON.stringify(rows)],
  );
  return rows.map(() => undefined);
}

interface Batchers {
  claim: Coalescer<ClaimRequest, Claim | null>;
  succeed: Coalescer<{ id: string; status: number }, void>;
}

/** One set per database (keyed by the ORM driver, like the subscribed-types cache), on a fork of its own. */
const batchers = new WeakMap<object, Batchers>();

function batchersFor(em: EntityManager): Batchers {
  const key = em.getDriver();
  let b = batchers.get(key);
  if (!b) {
    const own = em.fork();
    b = {
      claim: new Coalescer((reqs) => claimMany(own, reqs)),
      succeed: new Coalescer((rows) => succeedMany(own, rows)),
    };
    batchers.set(key, b);
  }
  return b;
}

/** Counts one attempt of a delivery (see `claimMany`), batched with the attempts starting meanwhile. */
export function claimAttempt(
  em: EntityManager,
  deliveryId: string,
  attemptsBefore: number | null,
): Promise<Claim | null> {
  return batchersFor(em).claim.push({ id: deliveryId, attempts: attemptsBefore });
}

/** Marks a delivery SUCCEEDED, batched with the attempts finishing meanwhile. */
export function recordSuccess(em: EntityManager, deliveryId: string, status: number): Promise<void> {
  return batchersFor(em).succeed.push({ id: deliveryId, status });
}
