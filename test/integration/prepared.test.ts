import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { declaredStatements, usePrepared } from '../../src/db/prepared';
// the modules that declare the server's prepared statements
import '../../src/modules';

/** A value of each parameter type the statements use, written as the ORM writes parameters. */
const SAMPLE: Record<string, string> = {
  text: "'nothing_here'",
  'text[]': "'{}'",
  'int[]': "'{}'",
  int: '0',
  bigint: "'0'",
  timestamptz: "'2026-12-01T00:00:00.000Z'",
};

describe('prepared statements (src/db/prepared.ts)', () => {
  it('every statement the server declares prepares and runs on PostgreSQL, and keeps a plan', async () => {
    const statements = [...declaredStatements()].filter(([name]) => !name.startsWith('dd_test_'));
    expect(statements.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'dd_balance_facts',
        'dd_movements_after',
        'dd_history_desc',
        'dd_one_ledger_lock',
      ]),
    );
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      usePrepared(db as unknown as { query(...args: unknown[]): unknown });
      const run = (text: string) =>
        new Promise<void>((resolve, reject) =>
          (db.query as (...a: unknown[]) => void)({ text }, (e: Error | null) => (e ? reject(e) : resolve())),
        );
      await db.query('begin');
      for (const [name, types] of statements) {
        const call = `execute ${name}(${types.map((t) => SAMPLE[t] ?? 'null').join(', ')})`;
        // the first five runs are planned for their values; from the sixth PostgreSQL may keep a generic plan
        for (let i = 0; i < 7; i++) await run(call);
      }
      const { rows } = await db.query<{ name: string; generic_plans: string; custom_plans: string }>(
        'select name, generic_plans, custom_plans from pg_prepared_statements order by name',
      );
      expect(rows.map((r) => r.name)).toEqual(statements.map(([name]) => name).sort());
      for (const r of rows) expect(Number(r.generic_plans) + Number(r.custom_plans)).toBe(7);
      await db.query('rollback');
    } finally {
      await db.end();
    }
  });
});
