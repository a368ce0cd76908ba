import { describe, expect, it } from 'vitest';
import { prepared, preparedShape, usePrepared } from '../../src/db/prepared';

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

describe('preparedShape', () => {
  const limits = { shapes: 2, params: 3 };

  it('declares one statement per distinct text, numbering its placeholders, with parameters of unknown type', async () => {
    const one = preparedShape('dd_test_shape', 'select ?::int + ?::int as x', limits)!;
    expect(preparedShape('dd_test_shape', 'select ?::int + ?::int as x', limits)).toBe(one);
    expect(one.name).toMatch(/^dd_test_shape_[0-9a-f]{16}$/);
    const c = fakeConnection();
    await c.run(`execute ${one.name}(1, 2)`);
    expect(c.sent).toEqual([
      `prepare ${one.name}(unknown, unknown) as select $1::int + $2::int as x`,
      `execute ${one.name}(1, 2)`,
    ]);
    const other = preparedShape('dd_test_shape', 'select ?::int as x', limits)!;
    expect(other.name).not.toBe(one.name);
  });

  it('prepares a deferred execution too, before it is held', async () => {
    const s = preparedShape('dd_test_deferred', 'select ?::text as x', limits)!;
    const c = fakeConnection();
    await c.run(`/* deferred */ execute ${s.name}('a')`);
    expect(c.sent).toEqual([
      `prepare ${s.name}(unknown) as select $1::text as x`,
      `/* deferred */ execute ${s.name}('a')`,
    ]);
  });

  it('answers null for a shape whose PREPARE PostgreSQL refused for its text (class 42), not for other errors', async () => {
    const odd = preparedShape('dd_test_refused', 'select ? as x', limits)!;
    const c = fakeConnection((t) => (t.startsWith('prepare') ? pgError('42P18') : null));
    await expect(c.run(`execute ${odd.name}('a')`)).rejects.toThrow('42P18');
    expect(preparedShape('dd_test_refused', 'select ? as x', limits)).toBeNull();
    const flaky = preparedShape('dd_test_refused', 'select ?::int as x', limits)!;
    const d = fakeConnection((t) => (t.startsWith('prepare') ? pgError('57P01') : null));
    await expect(d.run(`execute ${flaky.name}(1)`)).rejects.toThrow('57P01');
    expect(preparedShape('dd_test_refused', 'select ?::int as x', limits)).toBe(flaky);
  });

  it('answers null past the shape limit and for texts of too many placeholders', () => {
    expect(preparedShape('dd_test_big', 'select ?, ?, ?, ?', limits)).toBeNull();
    expect(preparedShape('dd_test_full', 'select 1', limits)).not.toBeNull();
    expect(preparedShape('dd_test_full', 'select 2', limits)).not.toBeNull();
    expect(preparedShape('dd_test_full', 'select 3', limits)).toBeNull();
    expect(preparedShape('dd_test_full', 'select 1', limits)).not.toBeNull();
  });
});
