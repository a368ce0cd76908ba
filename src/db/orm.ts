import { DefaultLogger, MikroORM, type LoggerOptions } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { type PostgreSqlDriver, defineConfig } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations';
import type { EntityClass } from '@mikro-orm/core';

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
    this.observe(context.query);
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
    pool: { min: 0, max: poolMax },
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
