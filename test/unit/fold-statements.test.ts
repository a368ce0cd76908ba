import { describe, expect, it } from 'vitest';
import { deferred, foldStatements } from '../../src/db/fold-statements';

/** A stand-in for a pg client: records what would be sent and answers like PostgreSQL's simple protocol. */
function fakeConnection(fail?: RegExp) {
  const sent: string[] = [];
  const conn = {
    query(...args: unknown[]) {
      const [config, done] = args as [
        { text: string; values?: unknown[] } | string,
        (e: unknown, r?: unknown) => void,
      ];
      const text = typeof config === 'string' ? config : config.text;
      sent.push(
        typeof config === 'object' && config.values?.length
          ? `${text} ${JSON.stringify(config.values)}`
          : text,
      );
      const statements = text.split(';').filter((s) => s.trim() !== '');
      const answers = statements.map((s) => ({
        command: s.trim().split(' ')[0]!.toUpperCase(),
        rows: [{ s }],
      }));
      queueMicrotask(() => {
        if (fail && fail.test(text)) done(new Error('failed'));
        else done(null, answers.length === 1 ? answers[0] : answers);
      });
    },
  };
  foldStatements(conn);
  const run = (text: string, values?: unknown[]) =>
    new Promise<unknown>((resolve, reject) =>
      conn.query({ text, ...(values ? { values } : {}) }, (e: unknown, r?: unknown) =>
        e ? reject(e) : resolve(r),
      ),
    );
  return { sent, run };
}

const D = deferred;

describe('foldStatements', () => {
  it.each([
    {
      name: 'BEGIN travels with the first statement; the rest go alone',
      steps: ['BEGIN;', 'select 1', 'update t', 'COMMIT;'],
      sent: ['BEGIN;select 1', 'update t', 'COMMIT;'],
    },
    { name: 'a transaction without statements sends nothing', steps: ['BEGIN;', 'COMMIT;'], sent: [] },
    { name: 'nor does one rolled back at once', steps: ['BEGIN;', 'ROLLBACK;'], sent: [] },
    {
      name: 'statements outside a transaction go as they are',
      steps: ['select 1', 'select 2'],
      sent: ['select 1', 'select 2'],
    },
    {
      name: 'two transactions in a row',
      steps: ['BEGIN;', 'select 1', 'COMMIT;', 'BEGIN;', 'select 2', 'ROLLBACK;'],
      sent: ['BEGIN;select 1', 'COMMIT;', 'BEGIN;select 2', 'ROLLBACK;'],
    },
    {
      name: 'a deferred write travels with the commit',
      steps: ['BEGIN;', 'select 1', D('insert a'), 'COMMIT;'],
      sent: ['BEGIN;select 1', `${D('insert a')};COMMIT;`],
    },
    {
      name: 'the whole transaction in one message when the write is its only statement',
      steps: ['BEGIN;', D('insert a'), 'COMMIT;'],
      sent: [`BEGIN;${D('insert a')};COMMIT;`],
    },
    {
      name: 'a deferred write travels with the next statement, in order',
      steps: ['BEGIN;', 'select 1', D('insert a'), D('insert b'), 'select 2', 'COMMIT;'],
      sent: ['BEGIN;select 1', `${D('insert a')};${D('insert b')};select 2`, 'COMMIT;'],
    },
    {
      name: 'ROLLBACK drops the held writes',
      steps: ['BEGIN;', 'select 1', D('insert a'), 'ROLLBACK'],
      sent: ['BEGIN;select 1', 'ROLLBACK'],
    },
    {
      name: 'nothing is sent for a transaction rolled back before it reached PostgreSQL',
      steps: ['BEGIN;', D('insert a'), 'ROLLBACK'],
      sent: [],
    },
    {
      name: 'outside a transaction a deferred write goes at once',
      steps: [D('insert a'), 'select 1'],
      sent: [D('insert a'), 'select 1'],
    },
    {
      name: 'ROLLBACK TO SAVEPOINT is a statement: the writes before it go first',
      steps: ['BEGIN;', 'select 1', D('insert a'), 'ROLLBACK TO SAVEPOINT trx2', 'COMMIT;'],
      sent: ['BEGIN;select 1', `${D('insert a')};ROLLBACK TO SAVEPOINT trx2`, 'COMMIT;'],
    },
    {
      name: 'a savepoint as the first statement',
      steps: ['BEGIN;', 'SAVEPOINT trx2', 'select 1'],
      sent: ['BEGIN;SAVEPOINT trx2', 'select 1'],
    },
  ])('$name', async ({ steps, sent: expected }) => {
    const { sent, run } = fakeConnection();
    for (const s of steps) await run(s);
    expect(sent).toEqual(expected);
  });

  it('answers the statement with its own result, not BEGIN’s', async () => {
    const { run } = fakeConnection();
    expect(await run('BEGIN;')).toMatchObject({ command: 'BEGIN' });
    expect(await run('select 1')).toEqual({ command: 'SELECT', rows: [{ s: 'select 1' }] });
  });

  it('keeps the list of answers of a statement text with several statements', async () => {
    const { run } = fakeConnection();
    await run('BEGIN;');
    const got = (await run('create table a (x int); create table b (x int)')) as { command: string }[];
    expect(got.map((r) => r.command)).toEqual(['CREATE', 'CREATE']);
  });

  it('sends BEGIN on its own ahead of a statement with bind parameters', async () => {
    const { sent, run } = fakeConnection();
    await run('BEGIN;');
    await run('select $1', [1]);
    expect(sent).toEqual(['BEGIN;', 'select $1 [1]']);
  });

  it('answers a deferred write at once with no rows', async () => {
    const { sent, run } = fakeConnection();
    await run('BEGIN;');
    await run('select 1');
    expect(await run(D('insert a'))).toMatchObject({ rows: [] });
    expect(sent).toEqual(['BEGIN;select 1']);
  });

  it('sends what is held ahead of a statement with bind parameters, and its error instead of running it', async () => {
    const { sent, run } = fakeConnection(/insert bad/);
    await run('BEGIN;');
    await run('select 1');
    await run(D('insert bad'));
    await expect(run('select $1', [1])).rejects.toThrow('failed');
    expect(sent).toEqual(['BEGIN;select 1', `${D('insert bad')};`]);
  });

  it('a deferred write that fails fails the commit, which rolls back before it answers', async () => {
    const { sent, run } = fakeConnection(/insert bad/);
    await run('BEGIN;');
    await run('select 1');
    await run(D('insert bad'));
    await expect(run('COMMIT;')).rejects.toThrow('failed');
    expect(sent).toEqual(['BEGIN;select 1', `${D('insert bad')};COMMIT;`, 'ROLLBACK']);
    // the connection is outside any transaction: the next BEGIN is held again
    await run('BEGIN;');
    await run('select 2');
    expect(sent.at(-1)).toBe('BEGIN;select 2');
  });

  it('passes a failure of the folded message to the statement', async () => {
    const { sent, run } = fakeConnection(/bad/);
    await run('BEGIN;');
    await expect(run('select bad')).rejects.toThrow('failed');
    await run('ROLLBACK;');
    expect(sent).toEqual(['BEGIN;select bad', 'ROLLBACK;']);
  });
});
