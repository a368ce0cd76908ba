import type { EntityManager } from '@mikro-orm/postgresql';
import { valuesList } from '../shared/sql';
import type { Rated } from './rate';

/** Every read and write of `usage_event` (owned by this module), inside the caller's transaction. */

const list = (n: number) => Array.from({ length: n }, () => '?').join(',');

/** The stored content hash of each of these ids that was stored before. */
async function storedHashes(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await em.execute<{ id: string; content_hash: string }[]>(
    `select id, content_hash from usage_event where id in (${list(ids.length)})`,
    [...ids],
  );
  return new Map(rows.map((p) => [p.id, p.content_hash]));
}

/** Inserts rated events (one row per event); ids stored meanwhile drop out. Returns the ids inserted. */
async function insert(em: EntityManager, rows: readonly Rated[], now: Date): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const params: unknown[] = [];
  for (const r of rows) {
    params.push(
      r.event.id,
      r.hash,
      r.customerId,
      r.subscription.id,
      r.event.subject,
      r.event.type,
      r.value.toFixed(),
      r.ts.toISOString(),
      r.event.data ? JSON.stringify(r.event.data) : null,
      now.toISOString(),
    );
  }
  const inserted = await em.execute<{ id: string }[]>(
    `insert into usage_event (id, content_hash, customer_id, subscription_id, subject, type, value, ts, data, received_at)
     values ${valuesList(rows.length, '(?, ?, ?, ?, ?, ?, ?::numeric, ?::timestamptz, ?::jsonb, ?::timestamptz)', params)}
     on conflict (id, customer_id) do nothing returning id`,
    params,
  );
  return new Set(inserted.map((r) => r.id));
}

async function remove(em: EntityManager, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await em.execute(`delete from usage_event where id in (${list(ids.length)})`, [...ids]);
}

export const eventStore = { storedHashes, insert, remove };
