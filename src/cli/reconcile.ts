import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../config';
import { startEmbeddedPostgres } from '../db/embedded';
import { openOrm } from '../db/orm';
import { allEntities } from '../modules';
import { formatReconciliation } from '../modules/reconcile';
import { createServices } from '../services';
import { systemClock } from '../core/clock';

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
    // a read-only check signs no cursor or token: a throwaway secret, so nothing is written to app_setting
    const secret = randomBytes(32).toString('base64url');
    const services = createServices({ fork: () => orm.em.fork(), clock: systemClock, secret });
    const report = await services.open().reconcile.run(customerId);
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
