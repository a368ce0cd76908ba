import { describe, expect, it } from 'vitest';
import { prepared, usePrepared } from '../../src/db/prepared';

prepared('dd_test_one', ['text'], 'select $1::text as x');
prepared('dd_test_two', ['int', 'int'], 'select $1 + $2 as x');

/** A stand-in for a pg connection: records what is sent; `fail(text)` answers an error for a text. */
function fakeConnection(fail: (text: string) => Error | null = () => null) {
  const sent: string[] = [];
  const conn = {
    query(...args: unknown[]) {
      const [config, done] = args as [{ text: string }, (e: unknown, r?: unknown) => void];
      sent.push(config.text);
      queueMicrotask(() => {
        const err = fail(config.text);
        if (err) done(err);
        else done(null, { rows: [] });
      });
    },
  };
  usePrepared(conn);
  const run = (text: string) =>
    new Promise<unknown>((resolve, reject) =>
      conn.query({ text }, (e: unknown, r?: unknown) => (e ? reject(e) : resolve(r))),
    );
  return { sent, run };
}

const pgError = (code: string) => Object.assign(new Error(code), { code });

describe('usePrepared', () => {
  it('prepares a declared statement on its first execution only, per connection', async () => {
    const a = fakeConnection();
    await a.run("execute dd_test_one('a')");
    await a.run("execute dd_test_one('b')");
    await a.run('execute dd_test_two(1, 2)');
    await a.run('select 1');
    expect(a.sent).toEqual([
      'prepare dd_test_one(text) as select $1::text as x',
      "execute dd_test_one('a')",
      "execute dd_test_one('b')",
      'prepare dd_test_two(int, int) as select $1 + $2 as x',
      'execute dd_test_two(1, 2)',
      'select 1',
    ]);
    const b = fakeConnection();
    await b.run("execute dd_test_one('c')");
    expect(b.sent).toEqual(['prepare dd_test_one(text) as select $1::text as x', "execute dd_test_one('c')"]);
  });

  it('leaves names it does not know, and other texts, as they are', async () => {
    const c = fakeConnection();
    await c.run('execute somebody_else(1)');
    await c.run("select 'execute dd_test_one('");
    expect(c.sent).toEqual(['execute somebody_else(1)', "select 'execute dd_test_one('"]);
  });

  it('takes a name already prepared on the session (42P05) as prepared', async () => {
    const c = fakeConnection((t) => (t.startsWith('prepare') ? pgError('42P05') : null));
    await c.run("execute dd_test_one('a')");
    await c.run("execute dd_test_one('b')");
    expect(c.sent).toEqual([
      'prepare dd_test_one(text) as select $1::text as x',
      "execute dd_test_one('a')",
      "execute dd_test_one('b')",
    ]);
  });

  it('answers a failed PREPARE with its error and tries again next time', async () => {
    let failing = true;
    const c = fakeConnection((t) => (failing && t.startsWith('prepare') ? pgError('57P01') : null));
    await expect(c.run("execute dd_test_one('a')")).rejects.toThrow('57P01');
    failing = false;
    await c.run("execute dd_test_one('b')");
    expect(c.sent).toEqual([
      'prepare dd_test_one(text) as select $1::text as x',
      'prepare dd_test_one(text) as select $1::text as x',
      "execute dd_test_one('b')",
    ]);
  });

  it('refuses a name declared twice or not a plain name', () => {
    expect(() => prepared('dd_test_one', ['text'], 'select 1')).toThrow('declared twice');
    expect(() => prepared('Bad-Name', [], 'select 1')).toThrow('plain lowercase');
  });
});
