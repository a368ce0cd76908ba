import 'reflect-metadata';
import net from 'node:net';
import os from 'node:os';
import { startDrawdown } from './app';
import { loadConfig, type Config } from './config';
import { createLog } from './core/log';
import { StartupError } from './core/startup';

/** Tries to bind the port and lets go again: the answer is the listen error's code, or null when free. */
function probePort(port: number, host: string): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'ERROR'));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}

function portTaken(config: Config, code: string): StartupError {
  const how = process.env.npm_lifecycle_event === 'start' ? 'npm start' : 'node dist/src/main.js';
  if (code === 'EADDRINUSE') {
    return new StartupError(
      `port ${config.port} on ${config.host} is already in use (another Drawdown, or another program, is listening there). ` +
        `Stop it, or choose another port: PORT=${config.port + 1} ${how}`,
    );
  }
  return new StartupError(
    `cannot listen on ${config.host}:${config.port} (${code}). Choose another port or address: PORT=… HOST=… ${how}`,
  );
}

/**
 * The port is checked before anything else happens: a taken port must not initialise a database, apply
 * migrations or generate (and print) an admin key that the server then never serves.
 */
async function checkPort(config: Config): Promise<void> {
  if (config.port === 0) return;
  const code = await probePort(config.port, config.host);
  if (code) throw portTaken(config, code);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    throw new StartupError(e instanceof Error ? e.message : String(e));
  }
  const log = createLog(config.logLevel);
  if (config.role !== 'worker') await checkPort(config);
  else if (config.workerNice > 0) {
    // a worker yields the CPU to API processes on the same machine
    try {
      os.setPriority(Math.min(19, os.getPriority() + config.workerNice));
    } catch (e) {
      log('warn', 'could not lower the worker priority', { error: String(e) });
    }
  }
  const started = Date.now();
  const app = await startDrawdown(config, log, {
    announceKey: (key) => {
      process.stdout.write(
        `\nGenerated an admin API key (stored in ${config.dataDir}/admin-api-key; shown only this once):\n\n  ${key}\n\n` +
          `Send it as "Authorization: Bearer <key>".\n`,
      );
    },
  }).catch((e: unknown) => {
    // the port was free a moment ago, but something took it before the server bound it
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portTaken(config, 'EADDRINUSE');
    throw e;
  });
  process.stdout.write(
    config.role === 'worker'
      ? `Drawdown worker ready in ${Date.now() - started} ms (sends webhooks, serves no HTTP)\n`
      : `Drawdown ready in ${Date.now() - started} ms at ${app.url} (HTTP and WebSocket)\n`,
  );

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
  // a closed terminal: without this, node would die at once and leave the embedded PostgreSQL running
  process.on('SIGHUP', () => shutdown('SIGHUP'));
  // a crash still stops the embedded database, so no orphaned postgres is left behind
  process.on('uncaughtException', (e) => {
    log('error', 'uncaught exception; shutting down', { error: e.stack ?? String(e) });
    process.exitCode = 1;
    shutdown('uncaughtException');
  });
  // Started by an npm script (`npm start`): npm passes SIGINT and SIGTERM on, but when npm itself is killed
  // outright (SIGKILL) this process is re-parented. Then nobody could stop it any more: stop as well.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      shutdown('parent exited');
    }, 500);
    watch.unref();
  }
}

main().catch((e: unknown) => {
  if (e instanceof StartupError) {
    process.stderr.write(`Drawdown cannot start: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `Drawdown failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
