import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DEFER, deferred, type Queryable } from './fold-statements';

/**
 * Statements PostgreSQL plans once per connection instead of once per call.
 *
 * The ORM writes parameters into the statement's text (simple protocol, which fold-statements.ts relies on),
 * so PostgreSQL plans every statement it receives. For a hot read with a few subqueries, planning costs more
 * than running it (the live feeds' read: about 0.5 ms to plan, 0.4 ms to run, warm). A prepared statement is
 * planned with its parameters for its first five runs and then, when that plan is no worse, with a generic
 * plan kept for the session (PostgreSQL's `plan_cache_mode = auto`).
 *
 * `prepared(name, types, sql)` declares one; its `execute` sends `EXECUTE name(<values>)` through the ORM
 * (the values written in by the ORM as for any statement, so it folds and is observed like any other), and
 * `defer` sends it as a deferred write (fold-statements.ts). Each
 * pool connection (`usePrepared`, installed by the pool) sends `PREPARE name(types) AS sql` on its own the
 * first time it meets `EXECUTE name(` and remembers that it did: prepared statements live as long as the
 * session, whatever its transactions do. A PREPARE that finds the name taken (42P05) counts as done.
 *
 * The SQL of a prepared statement names its columns: PostgreSQL re-plans a prepared statement after a
 * migration changed a table it reads, but refuses one whose result columns changed (`select *`).
 */

/** Every declared statement by name: its PREPARE (a connection prepares what it is asked to execute) and types. */
const registry = new Map<string, { prepare: string; types: readonly string[] }>();
/** Names whose PREPARE PostgreSQL refused for what it says (class 42: syntax, types); see `preparedShape`. */
const refused = new Set<string>();

/** The statements declared so far, with their parameter types (for the test that prepares them all). */
export function declaredStatements(): ReadonlyMap<string, readonly string[]> {
  return new Map([...registry].map(([name, d]) => [name, d.types]));
}

const NAME = /^[a-z][a-z0-9_]*$/;
/** `EXECUTE <name>(` at the very start of a statement the ORM sends (its only form, written by `execute`). */
const EXECUTE = /^execute ([a-z][a-z0-9_]*)\(/;

export interface Prepared {
  readonly name: string;
  /** Runs it with `params` (in the order of `$1`, `$2`, …) on `em`'s connection or transaction. */
  execute<T>(em: EntityManager, params: readonly unknown[]): Promise<T[]>;
  /**
   * Runs it as a deferred write in `em`'s transaction: sent with the transaction's next statement, its error
   * surfacing there (fold-statements.ts). A PREPARE this connection still needs goes at once.
   */
  defer(em: EntityManager, params: readonly unknown[]): Promise<void>;
}

/** Declares a statement to prepare (`sql` with `$1`…`$n` of `types`); once per name, at module load. */
export function prepared(name: string, types: readonly string[], sql: string): Prepared {
  if (!NAME.test(name)) throw new Error(`prepared statement name ${name} is not a plain lowercase name`);
  if (registry.has(name)) throw new Error(`prepared statement ${name} is declared twice`);
  registry.set(name, { prepare: `prepare ${name}(${types.join(', ')}) as ${sql}`, types: [...types] });
  const call = `execute ${name}(${types.map(() => '?').join(', ')})`;
  const later = deferred(call);
  const checked = (params: readonly unknown[]) => {
    if (params.length !== types.length) throw new Error(`${name} takes ${types.length} parameters`);
    return [...params];
  };
  return {
    name,
    execute: <T>(em: EntityManager, params: readonly unknown[]) => em.execute<T[]>(call, checked(params)),
    defer: async (em: EntityManager, params: readonly unknown[]) => {
      await em.execute(later, checked(params));
    },
  };
}

/** The statements `preparedShape` declared, by their text, per prefix. */
const shapes = new Map<string, Map<string, Prepared>>();

/**
 * A statement whose text is built per call from a few shapes (the ledger's write: a VALUES tuple per row, a
 * CTE per kind of row), prepared per distinct text: `sql` is written with the ORM's `?` placeholders (none
 * inside literals), and the first call with a text declares it as `<prefix>_<hash of the text>` with
 * parameters of type `unknown` (PostgreSQL infers each from its use). The same few shapes come back call
 * after call (one movement on one ledger, say), so PostgreSQL parses and plans each once per connection.
 * The answer is null, run the text unprepared, past `limits.shapes` shapes per prefix and for a text of more
 * than `limits.params` placeholders: a large write (settlement's batches) is rare in each shape, plans
 * cheaply for the rows it writes, and would hold a large plan in every connection.
 */
export function preparedShape(
  prefix: string,
  sql: string,
  limits: { shapes: number; params: number } = { shapes: 64, params: 120 },
): Prepared | null {
  let known = shapes.get(prefix);
  if (!known) shapes.set(prefix, (known = new Map()));
  const found = known.get(sql);
  // a shape PostgreSQL could not prepare (a parameter whose type its context does not tell) runs unprepared
  if (found) return refused.has(found.name) ? null : found;
  if (known.size >= limits.shapes) return null;
  let n = 0;
  const numbered = sql.replace(/\?/g, () => `$${++n}`);
  if (n > limits.params) return null;
  const hash = createHash('sha1').update(sql).digest('hex').slice(0, 16);
  const statement = prepared(`${prefix}_${hash}`, Array<string>(n).fill('unknown'), numbered);
  known.set(sql, statement);
  return statement;
}

type Done = (err: Error | null, result?: unknown) => void;

/** Makes `conn` prepare a declared statement the first time it is asked to execute it (see above). */
export function usePrepared(conn: Queryable): void {
  const query = conn.query.bind(conn) as (...args: unknown[]) => unknown;
  const ready = new Set<string>();
  conn.query = (...args: unknown[]): unknown => {
    const [config, done] = args as [{ text?: unknown } | string, Done | undefined];
    if (typeof config !== 'object' || config === null || typeof done !== 'function' || args.length !== 2)
      return query(...args);
    // `defer` sends the same text behind the deferred marker
    const text = typeof config.text === 'string' ? config.text : '';
    const name = EXECUTE.exec(text.startsWith(DEFER) ? text.slice(DEFER.length) : text)?.[1];
    const prepare = name === undefined || ready.has(name) ? undefined : registry.get(name)?.prepare;
    if (prepare === undefined) return query(config, done);
    query({ text: prepare }, (err: Error | null) => {
      const code = (err as { code?: string } | null)?.code;
      if (err && code !== '42P05') {
        // refused for its text (not for the session's state): the same PREPARE would fail on every connection
        if (code?.startsWith('42')) refused.add(name!);
        return done(err);
      }
      ready.add(name!);
      query(config, done);
    });
    return undefined;
  };
}
