/**
 * The load generator of bench/check.ts on its own thread (own event loop), like load-worker.ts, with two
 * modes: closed loop (`concurrency` clients, each sends its next request when the last one answered: the
 * throughput figure) and open loop (`rate` requests per second sent on schedule whatever the answers: the
 * latency figure). In open loop a latency runs from the instant the request was due, not from when it was
 * sent, so a stalled server cannot hide its backlog (no coordinated omission).
 */
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
}

export interface CheckLoadResult {
  latencies: number[];
  seconds: number;
  errors: string[];
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
  const start = clock();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < job.count; i++) {
    const due = start + i * interval;
    const wait = due - clock();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // by request: latencies[i] is the i-th request's (the caller can split them by request kind)
    inFlight.push(
      send(job, bodies[i % bodies.length]!, errors).then(() => void (latencies[i] = clock() - due)),
    );
  }
  await Promise.all(inFlight);
  return { latencies, seconds: (clock() - start) / 1000, errors };
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
