/**
 * bench/check.ts's hot customer, changed from a thread of its own (its own event loop, like the check clients):
 * back to back until told to stop, a one-off charge, then a hold and its release. On the server's thread its
 * client work (requests, parsing, timers) would be counted as the server's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { jsonPoster } from './http-post';

export interface HotChangerJob {
  url: string;
  token: string;
  customerId: string;
  currency: string;
  /** Changes a second at most (each sent when due, or at once when behind); 0: back to back. */
  rate: number;
}

export interface HotChangerResult {
  changes: number;
  errors: number;
}

const job = workerData as HotChangerJob;
const poster = jsonPoster(job.url, job.token, 1);
let stopped = false;
parentPort!.once('message', () => (stopped = true));

async function request<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const out = (await poster.post(JSON.stringify({ query, variables }))) as { data?: T; errors?: unknown[] };
  if (out.errors?.length || !out.data) throw new Error(JSON.stringify(out.errors).slice(0, 300));
  return out.data;
}

async function run(): Promise<HotChangerResult> {
  const { customerId, currency } = job;
  let changes = 0;
  let errors = 0;
  const start = performance.now();
  /** Waits until change `changes` is due at `rate`. */
  const due = async () => {
    const wait = job.rate > 0 ? start + (changes * 1000) / job.rate - performance.now() : 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  for (let i = 0; !stopped; i++) {
    await due();
    try {
      if (i % 2 === 0) {
        await request(`mutation($i:CreateChargeInput!){createCharge(input:$i){id}}`, {
          i: { customerId, currency, amount: '0.01', description: 'hot', settlementMode: 'CREDIT_ONLY' },
        });
        changes++;
      } else {
        const { reserveCredits } = await request<{ reserveCredits: { id: string } }>(
          `mutation($i:ReserveCreditsInput!){reserveCredits(input:$i){id}}`,
          { i: { customerId, currency, amount: '0.05' } },
        );
        changes++;
        await due();
        await request(`mutation($id:ID!){releaseCreditHold(holdId:$id){id}}`, { id: reserveCredits.id });
        changes++;
      }
    } catch (e) {
      errors++;
      if (errors <= 3) console.error('hot customer change failed:', (e as Error).message);
    }
  }
  return { changes, errors };
}

void run().then((r) => {
  poster.close();
  parentPort!.postMessage(r);
});
