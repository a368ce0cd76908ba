import 'reflect-metadata';
import { startDrawdown } from './app';
import { loadConfig } from './config';
import { createLog } from './core/log';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLog(config.logLevel);
  const started = Date.now();
  const app = await startDrawdown(config, log, {
    announceKey: (key) => {
      process.stdout.write(
        `\nGenerated an admin API key (stored in ${config.dataDir}/admin-api-key; shown only this once):\n\n  ${key}\n\n` +
          `Send it as "Authorization: Bearer <key>".\n`,
      );
    },
  });
  process.stdout.write(`Drawdown ready in ${Date.now() - started} ms at ${app.url} (HTTP and WebSocket)\n`);

  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(130);
    }
    log('info', 'shutting down', { signal });
    const force = setTimeout(() => {
      log('error', 'shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    app.stop().then(
      () => {
        log('info', 'stopped');
        process.exit(process.exitCode ?? 0);
      },
      (e: unknown) => {
        log('error', 'shutdown failed', { error: String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // a crash still stops the embedded database, so no orphaned postgres is left behind
  process.on('uncaughtException', (e) => {
    log('error', 'uncaught exception; shutting down', { error: e.stack ?? String(e) });
    process.exitCode = 1;
    shutdown('uncaughtException');
  });
}

main().catch((e: unknown) => {
  process.stderr.write(
    `Drawdown failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
