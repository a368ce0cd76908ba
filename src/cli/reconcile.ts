import 'reflect-metadata';
import path from 'node:path';
import { loadConfig } from '../config';
import { startEmbeddedPostgres } from '../db/embedded';
import { openOrm } from '../db/orm';
import { allEntities } from '../modules';
import { ReconcileService, formatReconciliation } from '../modules/reconcile';

/**
 * `npm run reconcile [-- --customer <id>] [-- --json]`: recomputes every ledger of DATABASE_URL (or the
 * embedded database) from its movements, allocations and grants and prints what drifted. Exit code 0 when
 * clean, 1 when drift was found, 2 when the check itself failed.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--customer');
  const customerId = at >= 0 ? (args[at + 1] ?? null) : null;
  if (at >= 0 && !customerId) throw new Error('--customer needs a customer id');
  const json = args.includes('--json');
  const config = loadConfig();
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'pg'), persistent: true });
  const orm = await openOrm(config.databaseUrl ?? embedded!.url, allEntities, 2);
  try {
    const report = await new ReconcileService(orm.em.fork()).run(customerId);
    process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatReconciliation(report));
    return report.drift.length > 0 ? 1 : 0;
  } finally {
    await orm.close(true);
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`reconcile failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
