import { DefaultLogger, MikroORM, type LoggerOptions } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { type PostgreSqlDriver, defineConfig } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations';
import type { EntityClass } from '@mikro-orm/core';
import { Client } from 'pg';
import { inBackground } from '../core/background';
import { foldStatements, type Queryable } from './fold-statements';
import { usePrepared } from './prepared';

export type Orm = MikroORM<PostgreSqlDriver>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Entities = EntityClass<any>[];

/** Sees every SQL statement the ORM sends (used to prove DataLoaders keep query counts fixed). */
export type QueryObserver = (sql: string) => void;

class ObservingLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly observe: QueryObserver,
  ) {
    super(options);
  }
  override logQuery(context: Parameters<DefaultLogger['logQuery']>[0]): void {
    // what the job runner does in the background is not what the observed requests cost
    if (!inBackground()) this.observe(context.query);
    super.logQuery(context);
  }
}

export function ormConfig(clientUrl: string, entities: Entities, poolMax = 20, onQuery?: QueryObserver) {
  return defineConfig({
    ...(onQuery ? { loggerFactory: (options: LoggerOptions) => new ObservingLogger(options, onQuery) } : {}),
    clientUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    pool: {
      min: 0,
      max: poolMax,
      // BEGIN and deferred writes travel with the next statement (fold-statements.ts); declared statements
      // are prepared on first use (prepared.ts)
      afterCreate: (conn: Queryable, done: (err: Error | null, conn: Queryable) => void) => {
        foldStatements(conn);
        usePrepared(conn);
        done(null, conn);
      },
    },
    // numeric stays a string at the column; money/ converts it in one place
    forceUtcTimezone: true,
    allowGlobalContext: false,
    debug: false,
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  });
}

export async function openOrm(
  clientUrl: string,
  entities: Entities,
  poolMax?: number,
  onQuery?: QueryObserver,
): Promise<Orm> {
  return MikroORM.init<PostgreSqlDriver>(ormConfig(clientUrl, entities, poolMax, onQuery));
}

export async function migrate(orm: Orm): Promise<string[]> {
  const done = await orm.getMigrator().up();
  return done.map((m) => m.name);
}

/** The advisory lock every Drawdown process takes to migrate a database: "DRAW" "DOWN" as two int4 keys. */
const MIGRATION_LOCK = [0x44524157, 0x444f574e];

/**
 * Runs `work` (the migrations) holding a session-level PostgreSQL advisory lock on its own connection, so
 * replicas that start together migrate one after another: the first applies the migrations, the others wait
 * and then find nothing left to do. `onWait` is called when another process holds the lock.
 */
export async function withMigrationLock<T>(
  clientUrl: string,
  work: () => Promise<T>,
  onWait: () => void = () => undefined,
): Promise<T> {
  const client = new Client({ connectionString: clientUrl });
  client.on('error', () => undefined); // a dropped connection surfaces through the query that needed it
  await client.connect();
  try {
    const got = await client.query<{ ok: boolean }>(
      'select pg_try_advisory_lock($1, $2) as ok',
      MIGRATION_LOCK,
    );
    if (!got.rows[0]!.ok) {
      onWait();
      await client.query('select pg_advisory_lock($1, $2)', MIGRATION_LOCK);
    }
    return await work();
  } finally {
    // closing the session releases the lock too, so an unlock that fails changes nothing
    await client.query('select pg_advisory_unlock($1, $2)', MIGRATION_LOCK).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
