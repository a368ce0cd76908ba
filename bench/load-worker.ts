/**
 * A load generator on its own thread (own event loop), so the server under test does not share its event
 * loop with the clients: runs `count` requests with `concurrency` in flight, cycling through `requests`,
 * and posts back the latencies (ms), the wall time and the errors.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { jsonPoster } from './http-post';

export interface LoadJob {
  url: string;
  token: string;
  requests: { query: string; variables?: Record<string, unknown> }[];
  count: number;
  concurrency: number;
}

export interface LoadResult {
  latencies: number[];
  seconds: number;
  errors: string[];
}

async function run(job: LoadJob): Promise<LoadResult> {
  const bodies = job.requests.map((r) => JSON.stringify(r));
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const client = jsonPoster(job.url, job.token, job.concurrency);
  const start = process.hrtime.bigint();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= job.count) return;
      const t = process.hrtime.bigint();
      try {
        const body = await client.post(bodies[i % bodies.length]!);
        if (body.errors?.length) errors.push(JSON.stringify(body.errors).slice(0, 500));
      } catch (e) {
        errors.push((e as Error).message);
      }
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.count) }, worker));
  client.close();
  return { latencies, seconds: Number(process.hrtime.bigint() - start) / 1e9, errors };
}

if (parentPort) {
  void run(workerData as LoadJob).then((r) => parentPort!.postMessage(r));
}
