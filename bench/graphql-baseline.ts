/**
 * Baseline for SPEC §13 "balance / history reads" (≥ 0.15× bare graphql-js): a bare graphql-js server on
 * node:http answering the same history page (20 movements with currency, grant and allocations) from static
 * data, read by the same client loop as bench/history.ts. No database, no ORM, no Apollo.
 *
 * Env: BASELINE_READS (5000), BASELINE_CLIENTS (50).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import { envInt, fmt, gqlClient, loadFromWorker, ms, now, percentile, pool, result } from './lib';

const READS = envInt('BASELINE_READS', 5000);
const CLIENTS = envInt('BASELINE_CLIENTS', 50);

const schema = buildSchema(`
  type Currency { code: String! }
  type Grant { id: ID! }
  type Allocation { amount: String! grant: Grant }
  type Movement {
    id: ID! sequence: Int! type: String! amount: String! balanceBefore: String! balanceAfter: String!
    bookedAt: String! description: String currency: Currency! grant: Grant allocations: [Allocation!]!
  }
  type Edge { cursor: String! node: Movement! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type Connection { edges: [Edge!]! pageInfo: PageInfo! }
  type Query { creditTransactions(customerId: ID!, first: Int, after: String): Connection! }
`);

const page = {
  edges: Array.from({ length: 20 }, (_, i) => ({
    cursor: `cursor-${1000 - i}`,
    node: {
      id: `mov_01JD0000000000000000000${String(i).padStart(3, '0')}`,
      sequence: 1000 - i,
      type: 'CONSUMED',
      amount: '-0.01',
      balanceBefore: `${(10000 - i * 0.01).toFixed(2)}`,
      balanceAfter: `${(10000 - (i + 1) * 0.01).toFixed(2)}`,
      bookedAt: new Date(1_700_000_000_000 + i).toISOString(),
      description: `hot charge ${i}`,
      currency: { code: 'USD' },
      grant: null,
      allocations: [{ amount: '-0.01', grant: { id: 'grt_01JD00000000000000000000AA' } }],
    },
  })),
  pageInfo: { hasNextPage: true, endCursor: 'cursor-981' },
};
const rootValue = { creditTransactions: () => page };

const QUERY = `query($c:ID!,$after:String){creditTransactions(customerId:$c,first:20,after:$after){
  edges{cursor node{id sequence type amount balanceBefore balanceAfter bookedAt description currency{code}
    grant{id} allocations{amount grant{id}}}}
  pageInfo{hasNextPage endCursor}}}`;

async function main(): Promise<void> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        variables?: Record<string, unknown>;
      };
      void graphql({ schema, source: body.query, rootValue, variableValues: body.variables }).then((r) => {
        const out = JSON.stringify(r);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const gql = gqlClient(`http://127.0.0.1:${port}/graphql`);
  try {
    const read = async () => {
      await gql.request(QUERY, { c: 'cus_x' });
    };
    await pool(200, CLIENTS, read); // warm-up
    // clients on a worker thread (what bench/history.ts uses), then clients sharing the server's event loop
    const w = await loadFromWorker(gql.url, [{ query: QUERY, variables: { c: 'cus_x' } }], READS, CLIENTS);
    if (w.errors.length) throw new Error(`baseline errors: ${w.errors[0]}`);
    console.log(
      `bare graphql-js, static history page, ${CLIENTS} clients on a worker thread: ${fmt(READS / w.seconds)} reads/s, ` +
        `p50 ${fmt(percentile(w.latencies, 50), 2)} ms, p99 ${fmt(percentile(w.latencies, 99), 2)} ms`,
    );
    const latencies: number[] = [];
    const start = now();
    await pool(READS, CLIENTS, async () => {
      const t = now();
      await read();
      latencies.push(ms(t));
    });
    const seconds = ms(start) / 1000;
    console.log(
      `bare graphql-js, static history page, ${CLIENTS} clients in the server's thread: ${fmt(READS / seconds)} reads/s, ` +
        `p50 ${fmt(percentile(latencies, 50), 2)} ms, p99 ${fmt(percentile(latencies, 99), 2)} ms`,
    );
    result('graphql_baseline_reads_per_s', READS / w.seconds);
    result('graphql_baseline_p99_ms', percentile(w.latencies, 99));
    result('graphql_baseline_same_thread_reads_per_s', READS / seconds);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
