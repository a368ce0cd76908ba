import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { type PostgreSqlDriver, defineConfig } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations';
import type { EntityClass } from '@mikro-orm/core';

export type Orm = MikroORM<PostgreSqlDriver>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Entities = EntityClass<any>[];

export function ormConfig(clientUrl: string, entities: Entities, poolMax = 20) {
  return defineConfig({
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

export async function openOrm(clientUrl: string, entities: Entities, poolMax?: number): Promise<Orm> {
  return MikroORM.init<PostgreSqlDriver>(ormConfig(clientUrl, entities, poolMax));
}

export async function migrate(orm: Orm): Promise<string[]> {
  const done = await orm.getMigrator().up();
  return done.map((m) => m.name);
}
