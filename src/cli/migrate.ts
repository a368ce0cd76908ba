import 'reflect-metadata';
import path from 'node:path';
import { loadConfig } from '../config';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrate, openOrm } from '../db/orm';
import { allEntities } from '../modules';
import { migrateJobs } from '../jobs';
import { createLog } from '../core/log';

/** `npm run migrate`: apply pending migrations to DATABASE_URL (or the embedded database) and exit. */
async function main(): Promise<void> {
  const config = loadConfig();
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'pg'), persistent: true });
  const orm = await openOrm(config.databaseUrl ?? embedded!.url, allEntities);
  try {
    const applied = await migrate(orm);
    await migrateJobs(config.databaseUrl ?? embedded!.url, createLog('warn'));
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await orm.close(true);
    await embedded?.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`migration failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
