import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../shared/sql';

/**
 * The customer each of these usage subjects belongs to (subjects nobody has are absent), in one query
 * inside the caller's transaction: the hot-path read of `customer_subject` for usage ingestion.
 */
export async function customerIdsBySubject(
  em: EntityManager,
  subjects: readonly string[],
): Promise<Map<string, string>> {
  if (subjects.length === 0) return new Map();
  const rows = await em.execute<{ subject_key: string; customer_id: string }[]>(
    `select subject_key, customer_id from customer_subject where subject_key = any(?::text[])`,
    [pgArray(subjects)],
  );
  return new Map(rows.map((r) => [r.subject_key, r.customer_id]));
}
