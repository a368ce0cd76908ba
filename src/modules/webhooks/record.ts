import type { EntityManager } from '@mikro-orm/postgresql';
import { ulid } from '../../core/ids';
import type { WebhookEventType } from './event-types';

/** The graphile-worker task that makes one delivery attempt. */
export const DELIVER_TASK = 'webhook_deliver';

/** One event as its cause describes it; `data` is serialized once, here. */
export interface WebhookEventInput {
  type: WebhookEventType;
  /** The customer concerned (its deliveries' too: the distribution key; also expected inside `data`). */
  customerId: string;
  /** When the change happened: the body's `timestamp`. */
  occurredAt: Date;
  data: Record<string, unknown>;
}

/** What was written: the event ids (the `webhook-id` header) and how many deliveries they fanned out to. */
export interface RecordedWebhookEvents {
  eventIds: string[];
  deliveries: number;
}

const NOTHING: RecordedWebhookEvents = Object.freeze({ eventIds: [], deliveries: 0 }) as never;

/** The event id is the Standard Webhooks `webhook-id`. */
export function newEventId(): string {
  return `msg_${ulid()}`;
}

export function newDeliveryId(): string {
  return `whd_${ulid()}`;
}

export function newEndpointId(): string {
  return `whe_${ulid()}`;
}

/** Process-wide delivery settings (set once at start-up from the configuration). */
export const webhookSettings = {
  /** Attempts running at once for one endpoint in one process (the runner's limit). */
  perEndpointConcurrency: 4,
  /** The schedule new deliveries get (DRAWDOWN_WEBHOOK_RETRY_BASE, _MAX_ATTEMPTS, _TIMEOUT). */
  retryBaseMs: 5_000,
  maxAttempts: 8,
  timeoutMs: 10_000,
  /** How long the cache of subscribed event types is trusted before it is read again (other replicas). */
  cacheTtlMs: 2_000,
};

export function configureWebhookSettings(s: Partial<typeof webhookSettings>): void {
  Object.assign(webhookSettings, s);
}

interface TypeCache {
  types: ReadonlySet<string>;
  loadedAt: number;
}

/**
 * The event types some enabled endpoint subscribes to, per database (keyed by the ORM driver, shared by
 * every fork): the common case, no endpoint at all, costs no SQL on the hot paths. Invalidated at once by
 * endpoint changes in this process, and re-read after `cacheTtlMs` for changes made by other replicas.
 */
const caches = new WeakMap<object, TypeCache>();

function cacheKey(em: EntityManager): object {
  return em.getDriver();
}

export function invalidateSubscribedTypes(em: EntityManager): void {
  caches.delete(cacheKey(em));
}

/** The cached set of subscribed types: callers skip building events nobody would get. */
export /**
 * The event types some enabled endpoint subscribes to (cached: see above). Callers may skip building an
 * event's data when its type is not in the set; `recordWebhookEvents` checks it again anyway.
 */
async function subscribedWebhookTypes(em: EntityManager): Promise<ReadonlySet<string>> {
  const key = cacheKey(em);
  const hit = caches.get(key);
  if (hit && Date.now() - hit.loadedAt < webhookSettings.cacheTtlMs) return hit.types;
  const loadedAt = Date.now();
  const rows = await em.execute<{ type: string }[]>(
    `select distinct unnest(event_types) as type from webhook_endpoint where enabled and deleted_at is null`,
  );
  const types = new Set(rows.map((r) => r.type));
  caches.set(key, { types, loadedAt });
  return types;
}

/**
 * Records events in the caller's transaction (pass the transactional `em`): one `webhook_event` row each
 * (body `{"type","timestamp","data"}` serialized once, stored as text), one `webhook_delivery` per endpoint
 * that is enabled and subscribed to its type now, and one delivery job for them all, enqueued with
 * `graphile_worker.add_job` in the same transaction: a rollback sends nothing, a crash after commit loses
 * nothing. When no endpoint subscribes to any of the types it does no SQL at all.
 */
export async function recordWebhookEvents(
  em: EntityManager,
  events: readonly WebhookEventInput[],
): Promise<RecordedWebhookEvents> {
  if (events.length === 0) return NOTHING;
  const subscribed = await subscribedWebhookTypes(em);
  const wanted = events.filter((e) => subscribed.has(e.type));
  if (wanted.length === 0) return NOTHING;
  const types = [...new Set(wanted.map((e) => e.type))];
  const endpoints = await em.execute<{ id: string; event_types: string[] }[]>(
    `select id, event_types from webhook_endpoint
      where enabled and deleted_at is null and event_types && ?::text[] for share`,
    [`{${types.map((t) => `"${t}"`).join(',')}}`],
  );
  if (endpoints.length === 0) return NOTHING;
  const evRows: {
    id: string;
    type: string;
    customer_id: string;
    occurred_at: string;
    body: string;
  }[] = [];
  const delRows: { id: string; endpoint_id: string; event_id: string; customer_id: string }[] = [];
  for (const e of wanted) {
    const targets = endpoints.filter((p) => p.event_types.includes(e.type));
    if (targets.length === 0) continue;
    const id = newEventId();
    const timestamp = e.occurredAt.toISOString();
    const body = JSON.stringify({ type: e.type, timestamp, data: e.data });
    evRows.push({ id, type: e.type, customer_id: e.customerId, occurred_at: timestamp, body });
    for (const t of targets) {
      delRows.push({ id: newDeliveryId(), endpoint_id: t.id, event_id: id, customer_id: e.customerId });
    }
  }
  if (evRows.length === 0) return NOTHING;
  // one statement: the foreign key of the deliveries is checked at its end, when the events exist
  await em.execute(
    `with ev as (
       insert into webhook_event (id, type, customer_id, occurred_at, body)
       select id, type, customer_id, occurred_at, body
         from json_to_recordset(?::json) as x(id text, type text, customer_id text, occurred_at timestamptz, body text)
     ), del as (
       insert into webhook_delivery (id, endpoint_id, event_id, customer_id, next_attempt_at, max_attempts,
                                     retry_base_ms, timeout_ms)
       select id, endpoint_id, event_id, customer_id, now(), ?, ?, ?
         from json_to_recordset(?::json) as x(id text, endpoint_id text, event_id text, customer_id text)
     )
     -- one job hands the whole batch to the delivery runner (a job per delivery would make the job table,
     -- and every fetch from it, as large as the backlog)
     select graphile_worker.add_job(?, ?::json, max_attempts := 25)`,
    [
      JSON.stringify(evRows),
      webhookSettings.maxAttempts,
      webhookSettings.retryBaseMs,
      webhookSettings.timeoutMs,
      JSON.stringify(delRows),
      DELIVER_TASK,
      JSON.stringify({ deliveries: delRows.map((d) => [d.id, d.endpoint_id]), attempts: 0 }),
    ],
  );
  return { eventIds: evRows.map((e) => e.id), deliveries: delRows.length };
}

/** One event; see `recordWebhookEvents`. Returns the event id, or null when no endpoint subscribes. */
export async function recordWebhookEvent(
  em: EntityManager,
  event: WebhookEventInput,
): Promise<string | null> {
  const r = await recordWebhookEvents(em, [event]);
  return r.eventIds[0] ?? null;
}
