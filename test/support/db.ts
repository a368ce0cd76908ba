import { Client } from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

/** A direct connection to the test database for the duration of `fn` (checks and deliberate damage). */
export async function withDb<T>(fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: inject('databaseUrl') });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** One direct connection for the calling test file, opened before its tests and closed after them. */
export function useDb(): Pick<Client, 'query'> {
  let db: Client | undefined;
  beforeAll(async () => {
    db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
  });
  const query = (...args: unknown[]): unknown => {
    if (!db) throw new Error('the database connection is not open yet (use it inside tests or hooks)');
    return (db.query as (...a: unknown[]) => unknown).apply(db, args);
  };
  return { query: query as Client['query'] };
}

/** Every table a request can write. */
export const WRITABLE_TABLES = [
  'currency',
  'feature',
  'plan',
  'rate_card',
  'customer',
  'customer_subject',
  'subscription',
  'ledger',
  'invoice',
  'credit_grant',
  'movement',
  'allocation',
  'idempotency_key',
  'usage_event',
  'charge',
  'outbox',
  'credit_alert_threshold',
] as const;

/** The number of rows of each writable table: a refused request must leave every one unchanged. */
export async function rowCounts(db: Pick<Client, 'query'>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of WRITABLE_TABLES) {
    counts[table] = (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0]!.n;
  }
  return counts;
}
