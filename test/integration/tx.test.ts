import 'reflect-metadata';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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
