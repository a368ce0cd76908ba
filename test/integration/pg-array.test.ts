import fc from 'fast-check';
import { escapeLiteral } from 'pg';
import { describe, expect, it } from 'vitest';
import { pgArray } from '../../src/modules/shared/sql';
import { useDb } from '../support/db';

/**
 * Ingestion sends a batch's rows as one array literal per column (`pgArray`), written into the statement as
 * a SQL string literal, which is what the ORM's `execute` does with every parameter (pg's `escapeLiteral`).
 * Whatever the text, PostgreSQL must read back exactly the elements sent, in order, nulls included.
 */

const db = useDb();

/** The elements PostgreSQL reads from `pgArray(values)` as the ORM inlines it, in order. */
async function roundTrip(values: readonly (string | null)[]): Promise<(string | null)[]> {
  const literal = escapeLiteral(pgArray(values));
  const { rows } = await db.query<{ x: string | null }>(
    `select x from unnest(${literal}::text[]) with ordinality as t(x, n) order by n`,
  );
  return rows.map((r) => r.x);
}

describe('pgArray', () => {
  it.each([
    { name: 'empty', values: [] },
    { name: 'plain', values: ['a', 'b'] },
    { name: 'empty string and NULL text', values: ['', 'NULL', 'null'] },
    { name: 'nulls', values: [null, 'x', null] },
    { name: 'quotes and backslashes', values: ['"', '\\', '\\"', "it's", '\\\\"x"'] },
    { name: 'array syntax', values: ['{', '}', 'a,b', '{"a","b"}', ' padded '] },
    { name: 'JSON', values: ['{"k":"v\\n","n":[1,2]}'] },
    { name: 'non-ASCII', values: ['é', '日本', '🙂', 'tab\tnewline\n'] },
  ])('reads back $name', async ({ values }) => {
    expect(await roundTrip(values)).toEqual(values);
  });

  it('reads back any list of strings and nulls', async () => {
    // PostgreSQL text cannot hold U+0000
    const element = fc.option(
      fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000')),
      { nil: null },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(element, { maxLength: 20 }), async (values) => {
        expect(await roundTrip(values)).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });
});
