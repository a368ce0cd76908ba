import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Facts that never stop being true once committed (a customer exists: customers are never deleted; a
 * currency's code names one currency forever: currencies are never updated or deleted) are kept for the
 * life of the process, so the hot paths do not ask PostgreSQL again on every request.
 *
 * A memo belongs to one database: it is keyed by the ORM configuration every fork of one `MikroORM` shares,
 * so two apps in one process (tests) never see each other's rows. Only what was read outside a transaction
 * is kept (`remember`), because a row read inside one may still roll back. Bounded: the least recently used
 * entries go first.
 */
export class Memo<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  forget(key: string): void {
    this.map.delete(key);
  }

  /** Keeps `value` unless `em` is inside a transaction (its reads may roll back). */
  remember(em: EntityManager, key: string, value: V): void {
    if (em.isInTransaction()) return;
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

const byDatabase = new WeakMap<object, Map<string, Memo<unknown>>>();

/** The memo `name` of the database `em` talks to. */
export function memoOf<V>(em: EntityManager, name: string, max = 100_000): Memo<V> {
  const scope = em.config as object;
  let memos = byDatabase.get(scope);
  if (!memos) byDatabase.set(scope, (memos = new Map()));
  let memo = memos.get(name) as Memo<V> | undefined;
  if (!memo) memos.set(name, (memo = new Memo<V>(max)));
  return memo;
}
