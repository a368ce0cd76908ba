import 'reflect-metadata';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deferred } from '../../src/db/fold-statements';
import { migrate, openOrm, type Orm } from '../../src/db/orm';
import { allEntities } from '../../src/modules';
import {
  addCommitListener,
  inTransaction,
  noteChange,
  type CommittedChanges,
} from '../../src/modules/shared';
import { uniq } from '../support/app';

/** inTransaction: one use case, one transaction, also when a use case calls another one. */
let orm: Orm;
beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), allEntities, 4);
  await migrate(orm);
});
afterAll(async () => {
  await orm.close(true);
});

const put = (em: EntityManager, key: string) =>
  em.execute(`insert into app_setting (key, value) values (?, 'v')`, [key]);
const seen = async (em: EntityManager, key: string) =>
  (await em.execute<{ key: string }[]>(`select key from app_setting where key = ?`, [key])).length === 1;

/** What the commit listeners heard while `fn` ran (`fn` can look at it as it grows). */
async function heard(fn: (got: CommittedChanges[]) => Promise<unknown>): Promise<CommittedChanges[]> {
  const got: CommittedChanges[] = [];
  const remove = addCommitListener((c) => got.push(c));
  try {
    await fn(got);
  } finally {
    remove();
  }
  return got;
}

describe('inTransaction', () => {
  it('joins the transaction it was called inside: the inner use case sees the outer one’s uncommitted rows', async () => {
    const key = uniq('tx_join');
    let inner: EntityManager | null = null;
    let outer: EntityManager | null = null;
    let visibleInside = false;
    const changes = await heard((sofar) =>
      inTransaction(orm.em.fork(), async (em) => {
        outer = em;
        await put(em, key);
        noteChange(em, 'movements', ['outer']);
        await inTransaction(em, async (em2) => {
          inner = em2;
          visibleInside = await seen(em2, key);
          noteChange(em2, 'pending', ['inner']);
        });
        // not announced yet: the outer transaction has not committed
        expect(sofar).toEqual([]);
      }),
    );
    expect(inner).toBe(outer);
    expect(visibleInside).toBe(true);
    // announced once, after the one commit, with what both use cases noted
    expect(changes).toHaveLength(1);
    expect([...changes[0]!.movements]).toEqual(['outer']);
    expect([...changes[0]!.pending]).toEqual(['inner']);
    expect(await seen(orm.em.fork(), key)).toBe(true);
  });

  it('rolls back the whole use case when the joined one fails, and announces nothing', async () => {
    const key = uniq('tx_fail');
    const changes = await heard(async () => {
      await expect(
        inTransaction(orm.em.fork(), async (em) => {
          await put(em, key);
          noteChange(em, 'movements', ['c']);
          await inTransaction(em, async () => {
            throw new Error('inner failed');
          });
        }),
      ).rejects.toThrow('inner failed');
    });
    expect(changes).toEqual([]);
    expect(await seen(orm.em.fork(), key)).toBe(false);
  });

  it('opens a new transaction for an EntityManager whose transaction has ended', async () => {
    const key = uniq('tx_after');
    let kept: EntityManager | null = null;
    await inTransaction(orm.em.fork(), async (em) => {
      kept = em;
    });
    await inTransaction(kept!, async (em) => {
      expect(em).not.toBe(kept);
      await put(em, key);
    });
    expect(await seen(orm.em.fork(), key)).toBe(true);
  });
});

/** fold-statements.ts: BEGIN and deferred writes reach PostgreSQL in the same message as the next statement. */
describe('BEGIN and deferred writes folded into the next statement', () => {
  const stamps = (em: EntityManager) =>
    em.execute<{ same: boolean }[]>(`select transaction_timestamp() = statement_timestamp() as same`);

  it('the first statement starts the transaction; a later one is a message of its own', async () => {
    await inTransaction(orm.em, async (em) => {
      // in one message, the transaction and the statement start at the same instant
      expect((await stamps(em))[0]!.same).toBe(true);
      expect((await stamps(em))[0]!.same).toBe(false);
    });
  });

  it('a statement that fails after writes rolls them back, and the next transaction commits', async () => {
    const key = uniq('fold-rollback');
    await expect(
      inTransaction(orm.em, async (em) => {
        await put(em, key);
        await em.execute(`select 1 / 0`);
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await seen(orm.em.fork(), key)).toBe(false);
    const next = uniq('fold-next');
    await inTransaction(orm.em, (em) => put(em, next));
    expect(await seen(orm.em.fork(), next)).toBe(true);
  });

  it('a first statement that fails (syntax or execution) leaves no transaction open on the connection', async () => {
    for (const bad of [`selec 1`, `select 1 / 0`]) {
      await expect(inTransaction(orm.em, (em) => em.execute(bad))).rejects.toThrow();
      // every connection of the pool (4) is used again: a transaction left open would hold `put` uncommitted
      const keys = Array.from({ length: 8 }, () => uniq('fold-after'));
      await Promise.all(keys.map((k) => inTransaction(orm.em, (em) => put(em, k))));
      for (const k of keys) expect(await seen(orm.em.fork(), k)).toBe(true);
    }
  });

  it('a transaction that sends no statement commits nothing and answers', async () => {
    expect(await inTransaction(orm.em, async () => 42)).toBe(42);
    const key = uniq('fold-empty-after');
    await inTransaction(orm.em, (em) => put(em, key));
    expect(await seen(orm.em.fork(), key)).toBe(true);
  });

  it('a deferred write is seen by the next statement of its transaction and committed with it', async () => {
    const key = uniq('fold-deferred');
    await inTransaction(orm.em, async (em) => {
      await put(em, `${key}-first`);
      expect(
        await em.execute(deferred(`insert into app_setting (key, value) values (?, 'v')`), [key]),
      ).toEqual([]);
      expect(await seen(em, key)).toBe(true);
    });
    expect(await seen(orm.em.fork(), key)).toBe(true);
  });

  it('a deferred write that fails fails the commit with its error; nothing of the transaction stays', async () => {
    const key = uniq('fold-deferred-dup');
    const other = uniq('fold-deferred-other');
    await inTransaction(orm.em, (em) => put(em, key));
    const err = await inTransaction(orm.em, async (em) => {
      await put(em, other);
      // the duplicate key is only found when the write travels with COMMIT
      await em.execute(deferred(`insert into app_setting (key, value) values (?, 'v')`), [key]);
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('23505');
    expect(await seen(orm.em.fork(), other)).toBe(false);
    // every pooled connection is clean afterwards
    const keys = Array.from({ length: 8 }, () => uniq('fold-deferred-after'));
    await Promise.all(keys.map((k) => inTransaction(orm.em, (em) => put(em, k))));
    for (const k of keys) expect(await seen(orm.em.fork(), k)).toBe(true);
  });
});
