/**
 * The mixed load of bench/replicas.ts on its own thread (own event loop, so neither server shares it): for
 * `seconds`, `clients` closed-loop clients, client i sending to `urls[i % urls.length]`, each request a
 * `createCharge` with probability `chargeShare` and otherwise a `creditBalances` read, on a random customer.
 * Posts back counts, latencies (ms) per kind and the first errors.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface ReplicaLoadJob {
  urls: string[];
  token: string;
  customerIds: string[];
  currency: string;
  clients: number;
  seconds: number;
  chargeShare: number;
}

export interface ReplicaLoadResult {
  seconds: number;
  reads: number[];
  charges: number[];
  errors: number;
  firstErrors: string[];
  perUrl: number[];
}

const READ = `query($c:ID!){creditBalances(customerId:$c){currency{code} settled pending upcoming}}`;
const CHARGE = `mutation($i:CreateChargeInput!){createCharge(input:$i){id}}`;

async function run(job: ReplicaLoadJob): Promise<ReplicaLoadResult> {
  const out: ReplicaLoadResult = {
    seconds: 0,
    reads: [],
    charges: [],
    errors: 0,
    firstErrors: [],
    perUrl: [],
  };
  out.perUrl = job.urls.map(() => 0);
  const start = process.hrtime.bigint();
  const deadline = Date.now() + job.seconds * 1000;
  const client = async (i: number) => {
    const u = i % job.urls.length;
    const url = job.urls[u]!;
    while (Date.now() < deadline) {
      const c = job.customerIds[Math.floor(Math.random() * job.customerIds.length)]!;
      const charge = Math.random() < job.chargeShare;
      const body = charge
        ? {
            query: CHARGE,
            variables: {
              i: {
                customerId: c,
                currency: job.currency,
                amount: '0.01',
                description: 'replicas bench',
                settlementMode: 'CREDIT_ONLY',
              },
            },
          }
        : { query: READ, variables: { c } };
      const t = process.hrtime.bigint();
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${job.token}` },
          body: JSON.stringify(body),
        });
        const answer = (await res.json()) as { errors?: unknown[] };
        if (answer.errors?.length) {
          out.errors++;
          if (out.firstErrors.length < 5) out.firstErrors.push(JSON.stringify(answer.errors).slice(0, 300));
          continue;
        }
      } catch (e) {
        out.errors++;
        if (out.firstErrors.length < 5) out.firstErrors.push((e as Error).message);
        continue;
      }
      (charge ? out.charges : out.reads).push(Number(process.hrtime.bigint() - t) / 1e6);
      out.perUrl[u]!++;
    }
  };
  await Promise.all(Array.from({ length: job.clients }, (_, i) => client(i)));
  out.seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return out;
}

if (parentPort) {
  void run(workerData as ReplicaLoadJob).then((r) => parentPort!.postMessage(r));
}
