/**
 * The Drawdown server as a child process of a benchmark (as live.ts runs it), so that its RSS and CPU are its
 * own and its event loop is not shared with the load generator.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { API_KEY, SERVER_NODE_FLAGS } from './lib';

export interface DrawdownProcess {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** ws://127.0.0.1:<port>/graphql */
  wsUrl: string;
  pid: number;
  /** The server process's resident set size in MB (Linux /proc; NaN elsewhere). */
  rssMb(): number;
  /** CPU seconds (user + system) the server process has used so far (Linux /proc; NaN elsewhere). */
  cpuSeconds(): number;
  /** GET /metrics (loopback is allowed by default): the value of each unlabelled sample. */
  metrics(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/**
 * Starts `dist/src/main.js` (the build next to this file) as a child process on `databaseUrl`, so that its
 * memory and CPU are its own: admin key `bench-key`, port chosen by the system, migrations applied at start,
 * a throwaway data directory. `env` adds or overrides variables (e.g. DRAWDOWN_SETTLE_INTERVAL).
 */
export async function spawnDrawdown(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<DrawdownProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-bench-'));
  // the server's own flags (SERVER_NODE_FLAGS, as `npm start` and the Dockerfile run it), then
  // BENCH_SERVER_NODE_ARGS: more flags for the server's node only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
  const nodeArgs = [
    ...SERVER_NODE_FLAGS,
    ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child = spawn(process.execPath, [...nodeArgs, path.resolve(__dirname, '../src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DRAWDOWN_API_KEYS: API_KEY,
      DRAWDOWN_DATA_DIR: dataDir,
      DRAWDOWN_MIGRATE: 'true',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready in \d+ ms at (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
    });
    const base = new URL(url);
    return {
      url: `http://127.0.0.1:${base.port}/graphql`,
      wsUrl: `ws://127.0.0.1:${base.port}/graphql`,
      pid: child.pid!,
      rssMb() {
        try {
          const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
          return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
        } catch {
          return NaN;
        }
      },
      cpuSeconds() {
        try {
          // fields after the parenthesised command: utime and stime are the 12th and 13th, in clock ticks
          const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return (Number(fields[11]) + Number(fields[12])) / 100;
        } catch {
          return NaN;
        }
      },
      async metrics() {
        const url = `http://127.0.0.1:${base.port}/metrics`;
        // once more on a reset: a kept-alive connection the server closed while this process was busy
        // (10,000 subscriptions starting) is reset when reused; a fresh one answers
        const text = await fetch(url)
          .catch((e: unknown) => {
            if ((e as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw e;
            return fetch(url);
          })
          .then((r) => r.text());
        const out = new Map<string, number>();
        for (const m of text.matchAll(/^([a-z_:]+) ([0-9.eE+-]+|NaN)$/gm)) out.set(m[1]!, Number(m[2]));
        return out;
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** Busy and total CPU time of the whole machine so far, in clock ticks (Linux /proc/stat; null elsewhere). */
export function machineTicks(): { busy: number; total: number } | null {
  try {
    const cpu = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - (cpu[3] ?? 0) - (cpu[4] ?? 0), total }; // less idle and iowait
  } catch {
    return null;
  }
}
