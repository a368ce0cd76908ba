/**
 * Fewer round trips per transaction. A pool connection holds back what need not travel alone and sends it
 * in front of the next statement, as one simple-protocol message that PostgreSQL runs in order:
 *
 * - **`BEGIN;`**, which knex sends to open a transaction, goes with the transaction's first statement.
 * - **A deferred write** (`deferred(sql)`: one statement whose answer nobody reads, such as the ledger's
 *   write) goes with whatever the transaction sends next, usually its `COMMIT;`.
 *
 * The ORM sends every statement in the simple protocol (its `execute` writes parameters into the text),
 * which is what lets several statements share a message. On this VM each round trip wakes PostgreSQL's
 * backend and then Node; a hot customer's group commit (begin, lock and read, write, commit) spent more time
 * waiting than computing, and is two round trips with both.
 *
 * Why it is the same transaction:
 *
 * - Order is kept: nothing reaches PostgreSQL between a held text and the statement it precedes, and what
 *   is held goes out before anything sent after it.
 * - A failure is still the transaction's failure. When a held write fails, the message stops there, the
 *   transaction block is aborted, and the statement it travelled with answers with that error. When it
 *   travelled with `COMMIT;`, the commit fails with it and this sends `ROLLBACK` first, so the connection
 *   returns to the pool outside any transaction. (A syntax error stops a whole message before its `BEGIN`
 *   runs; the `ROLLBACK` that follows then finds no transaction, which PostgreSQL answers with a warning.)
 * - `ROLLBACK;` drops the writes still held (they would be undone anyway), and a transaction that ends
 *   before anything was sent (`BEGIN;` then `COMMIT;` or `ROLLBACK;`) sends nothing at all.
 * - A deferred write outside a transaction this connection saw begin is sent at once: held, it could be
 *   lost if nothing followed it.
 * - A statement with bind parameters (extended protocol, never sent by the ORM) gets what is held sent
 *   ahead of it in a message of its own, and that message's error if it fails.
 */

/** What knex's PostgreSQL dialect hands `pg`'s `Client.query`. */
interface QueryConfig {
  text: string;
  values?: unknown[];
}
type Done = (err: Error | null, result?: unknown) => void;

/** The part of a `pg` client this needs. */
export interface Queryable {
  query(...args: unknown[]): unknown;
}

const BEGIN = 'BEGIN;';
const END = /^(COMMIT|ROLLBACK);?$/i;
/** What marks a deferred write's text (`deferred`). */
export const DEFER = '/* deferred */ ';

/**
 * Marks one statement (no `;` between statements in it) as a write whose answer the caller does not read:
 * inside a transaction it is sent with the transaction's next statement or its commit, and its error, if any,
 * surfaces there. Its own `execute` answers at once with no rows.
 */
export function deferred(sql: string): string {
  return `${DEFER}${sql}`;
}

/** The answer a statement would have had, for the texts this answers without sending (knex reads only that it succeeded). */
const answered = (command: string) => ({ command, rowCount: null, rows: [], fields: [] });

/** Makes `conn` fold `BEGIN;` and deferred writes into the statement that follows them (see above). */
export function foldStatements(conn: Queryable): void {
  const query = conn.query.bind(conn) as (...args: unknown[]) => unknown;
  /** Held texts, each one statement ending in `;`, in the order they came. */
  let held: string[] = [];
  /** Inside a transaction this connection saw begin. */
  let inTransaction = false;

  const take = () => {
    const out = held;
    held = [];
    return out;
  };
  /** Sends what is held as a message of its own; `then` hears its error or goes on. */
  const sendHeld = (then: (err: Error | null) => void) => {
    if (held.length === 0) return then(null);
    query(take().join(''), (err: Error | null) => then(err));
  };

  conn.query = (...args: unknown[]): unknown => {
    const [config, done] = args as [QueryConfig | string, Done | undefined];
    // only knex's own calls (a config object and a callback) are folded; anything else goes as it came
    if (typeof config !== 'object' || config === null || typeof done !== 'function' || args.length !== 2) {
      if (held.length > 0) query(take().join(''), () => undefined);
      return query(...args);
    }
    const simple = !config.values || config.values.length === 0;
    const text = config.text.trim();
    if (!simple) {
      sendHeld((err) => (err ? done(err) : query(config, done)));
      return undefined;
    }
    if (text === BEGIN && held.length === 0 && !inTransaction) {
      held.push(BEGIN);
      inTransaction = true;
      process.nextTick(done, null, answered('BEGIN'));
      return undefined;
    }
    if (/^BEGIN\b/i.test(text)) inTransaction = true;
    if (text.startsWith(DEFER) && inTransaction) {
      held.push(`${text};`);
      process.nextTick(done, null, answered('SELECT'));
      return undefined;
    }
    if (END.test(text)) {
      const commit = /^COMMIT/i.test(text);
      const command = commit ? 'COMMIT' : 'ROLLBACK';
      inTransaction = false;
      const pending = take();
      // BEGIN still held: the transaction never reached PostgreSQL, and a commit has nothing else to send
      if (pending[0] === BEGIN && (!commit || pending.length === 1)) {
        process.nextTick(done, null, answered(command));
        return undefined;
      }
      if (!commit || pending.length === 0) return query(config, done);
      return query(
        { ...config, text: `${pending.join('')}${text}` },
        (err: Error | null, result?: unknown) => {
          if (!err) return done(null, Array.isArray(result) ? result[result.length - 1] : result);
          // a held write failed: the block is aborted and COMMIT never ran; leave no transaction behind
          query('ROLLBACK', () => done(err));
        },
      );
    }
    if (held.length === 0) return query(config, done);
    const pending = take();
    return query(
      { ...config, text: `${pending.join('')}${config.text}` },
      (err: Error | null, result?: unknown) => {
        if (err || !Array.isArray(result)) return done(err, result);
        // the held statements' answers come first; a statement text of several statements keeps its list
        const rest = result.slice(pending.length);
        done(null, rest.length === 1 ? rest[0] : rest);
      },
    );
  };
}
