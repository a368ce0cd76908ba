/**
 * The load generator of bench/check.ts on its own thread (own event loop), like load-worker.ts, with two
 * modes: closed loop (`concurrency` clients, each sends its next request when the last one answered: the
 * throughput figure) and open loop (`rate` requests per second sent on schedule whatever the answers: the
 * latency figure). In open loop a latency runs from the instant the request was due, not from when it was
 * sent, so a stalled server cannot hide its backlog (no coordinated omission).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { jsonPoster, type JsonPoster } from './http-post';

export interface CheckLoadJob {
  url: string;
  token: string;
  requests: { query: string; variables?: Record<string, unknown> }[];
  count: number;
  /** Closed loop: clients in flight. */
  concurrency: number;
  /** Open loop: requests per second (then `concurrency` is ignored). */
  rate?: number;
  /**
   * Open loop: seconds at the same rate before the `count` measured requests, not counted. A gateway keeps
   * its connections open; a client that starts cold opens hundreds at once (300 measured at 2,900/s) and its
   * first second measured connection setup and a cold JIT (p99 ≈ 330 ms), not the server's steady state.
   */
  warmupSeconds?: number;
}

export interface CheckLoadResult {
  latencies: number[];
  seconds: number;
  errors: string[];
  /** Open loop: the client's own event-loop delay p99 and max (ms), a share of any latency it measures. */
  clientDelay?: { p99: number; max: number };
}

/** One client for the whole run: closed loop keeps `concurrency` sockets, open loop as many as it needs. */
let poster: JsonPoster | null = null;

async function send(job: CheckLoadJob, body: string, errors: string[]): Promise<void> {
  poster ??= jsonPoster(job.url, job.token, job.rate ? 1024 : job.concurrency);
  try {
    const out = await poster.post(body);
    if (out.errors?.length) errors.push(JSON.stringify(out.errors).slice(0, 500));
  } catch (e) {
    errors.push((e as Error).message);
  }
}

const clock = () => Number(process.hrtime.bigint()) / 1e6;

async function closed(job: CheckLoadJob, bodies: string[]): Promise<CheckLoadResult> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const start = clock();
  const client = async () => {
    for (;;) {
      const i = next++;
      if (i >= job.count) return;
      const t = clock();
      await send(job, bodies[i % bodies.length]!, errors);
      latencies.push(clock() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.count) }, client));
  return { latencies, seconds: (clock() - start) / 1000, errors };
}

async function open(job: CheckLoadJob, bodies: string[], rate: number): Promise<CheckLoadResult> {
  const latencies: number[] = [];
  const errors: string[] = [];
  const interval = 1000 / rate;
  // an even number of warm-up requests keeps each measured request's kind (its parity) as the caller planned
  const warmup = 2 * Math.round(((job.warmupSeconds ?? 0) * rate) / 2);
  const start = clock() + warmup * interval;
  const inFlight: Promise<void>[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  for (let i = -warmup; i < job.count; i++) {
    if (i === 0) delay.enable();
    const due = start + i * interval;
    const wait = due - clock();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = bodies[(i + warmup) % bodies.length]!;
    if (i < 0) {
      inFlight.push(send(job, body, []));
      continue;
    }
    // from the instant it was due, or from when it was sent if that was earlier (a wait under 1 ms is not
    // slept); by request: latencies[i] is the i-th measured request's (the caller can split them by kind)
    const from = Math.min(due, clock());
    inFlight.push(send(job, body, errors).then(() => void (latencies[i] = clock() - from)));
  }
  await Promise.all(inFlight);
  delay.disable();
  const clientDelay = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
  return { latencies, seconds: (clock() - start) / 1000, errors, clientDelay };
}

function runJob(job: CheckLoadJob): Promise<CheckLoadResult> {
  const bodies = job.requests.map((r) => JSON.stringify(r));
  return (job.rate ? open(job, bodies, job.rate) : closed(job, bodies)).then((r) => {
    poster?.close();
    return r;
  });
}

if (parentPort) {
  void runJob(workerData as CheckLoadJob).then((r) => parentPort!.postMessage(r));
} else if (process.send) {
  // run as a child process (runLoadProcess): the job comes as the first message
  process.once('message', (job: CheckLoadJob) => {
    void runJob(job).then((r) => process.send!(r, () => process.exit(0)));
  });
}
