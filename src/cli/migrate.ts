import 'reflect-metadata';
import path from 'node:path';
import { loadConfig } from '../config';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrate, openOrm, withMigrationLock } from '../db/orm';
import { allEntities } from '../modules';
import { migrateJobs } from '../jobs';
import { createLog } from '../core/log';

/** `npm run migrate`: apply pending migrations to DATABASE_URL (or the embedded database) and exit. */
async function main(): Promise<void> {
  const config = loadConfig();
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'pg'), persistent: true });
  const url = config.databaseUrl ?? embedded!.url;
  const orm = await openOrm(url, allEntities);
  try {
    // replicas (or a deploy step) migrating together take turns; the later ones find nothing to do
    const applied = await withMigrationLock(
      url,
      async () => {
        const names = await migrate(orm);
        await migrateJobs(url, createLog('warn'));
        return names;
      },
      () => process.stdout.write('another process is applying migrations; waiting for it\n'),
    );
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
