import type { EntityManager } from '@mikro-orm/postgresql';
import type { Rated } from './rate';
import { pgArray } from '../shared/sql';

/** Every read and write of `usage_event` (owned by this module), inside the caller's transaction. */

/** The stored content hash of each of these ids that was stored before. */
async function storedHashes(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await em.execute<{ id: string; content_hash: string }[]>(
    `select id, content_hash from usage_event where id = any(?::text[])`,
    [pgArray(ids)],
  );
  return new Map(rows.map((p) => [p.id, p.content_hash]));
}

/**
 * Inserts rated events (one row per event); ids stored meanwhile drop out. Returns the ids inserted. The
 * rows travel as one array per column (`unnest`): the statement's text is the same for every batch, so
 * PostgreSQL parses and plans a few lines instead of a VALUES list of ten parameters per event.
 */
async function insert(em: EntityManager, rows: readonly Rated[], now: Date): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await em.execute<{ id: string }[]>(
    `insert into usage_event (id, content_hash, customer_id, subscription_id, subject, type, value, ts, data, received_at)
     select id, content_hash, customer_id, subscription_id, subject, type, value, ts, data, ?::timestamptz
       from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::numeric[], ?::timestamptz[], ?::jsonb[])
            as v(id, content_hash, customer_id, subscription_id, subject, type, value, ts, data)
     on conflict (id, customer_id) do nothing returning id`,
    [
      now.toISOString(),
      pgArray(rows.map((r) => r.event.id)),
      pgArray(rows.map((r) => r.hash)),
      pgArray(rows.map((r) => r.customerId)),
      pgArray(rows.map((r) => r.subscription.id)),
      pgArray(rows.map((r) => r.event.subject)),
      pgArray(rows.map((r) => r.event.type)),
      pgArray(rows.map((r) => r.value.toFixed())),
      pgArray(rows.map((r) => r.ts.toISOString())),
      pgArray(rows.map((r) => (r.event.data ? JSON.stringify(r.event.data) : null))),
    ],
  );
  return new Set(inserted.map((r) => r.id));
}

async function remove(em: EntityManager, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await em.execute(`delete from usage_event where id = any(?::text[])`, [pgArray(ids)]);
}

export const eventStore = { storedHashes, insert, remove };
