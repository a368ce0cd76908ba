import 'reflect-metadata';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { migrate, openOrm } from '../../src/db/orm';
import { allEntities } from '../../src/modules';
import { createTestDatabase } from './database';
import { migrateJobs } from '../../src/jobs';
import { createLog } from '../../src/core/log';
import { watchStuckBackends } from './stuck-backends';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/** One migrated database for the whole run; test files share it and keep their data apart by unique keys. */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const db = await createTestDatabase();
  const orm = await openOrm(db.url, allEntities, 2);
  await migrate(orm);
  await orm.close(true);
  await migrateJobs(db.url, createLog('error'));
  project.provide('databaseUrl', db.url);
  const watch = await watchStuckBackends(db.url);
  console.log(
    `test database ready in ${Date.now() - started} ms (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'})`,
  );
  return async () => {
    await watch.stop();
    await db.drop();
  };
}
