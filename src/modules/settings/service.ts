import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Instance-wide secrets live in the database so every replica signs and verifies customer tokens
 * and cursors alike. Created once, on first start, race-free (insert ... on conflict do nothing).
 */
export async function loadOrCreateSecret(em: EntityManager, key: string): Promise<string> {
  const conn = em.getConnection();
  await conn.execute('insert into app_setting (key, value) values (?, ?) on conflict (key) do nothing', [
    key,
    randomBytes(32).toString('base64url'),
  ]);
  const rows = await conn.execute<{ value: string }[]>('select value from app_setting where key = ?', [key]);
  return rows[0]!.value;
}
