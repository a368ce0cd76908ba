/**
 * SPEC §13 "one hot customer, 8 concurrent charge clients" and "balance / history reads, 50 connections".
 *
 * 1. One customer with one large grant takes HISTORY_MOVEMENTS one-off createCharge mutations (CREDIT_ONLY,
 *    so each books one CONSUMED movement) from HOT_CLIENTS concurrent clients, after HOT_WARMUP more that are
 *    not counted: charges/s and errors surfaced.
 *    Optionally HISTORY_SQL_FILL older movements are first inserted with SQL (consistent balances, sequences
 *    and allocations) to put the deep page at a depth the API alone would take long to build (e.g. 1M).
 * 2. Reads: creditTransactions(first: 20) at page 1 and at the oldest page (cursor from `last: 21`), one at a
 *    time (latency ratio deep/page-1: once with page 1 kept in memory, once with a movement booked before each
 *    pair so that both pages are read from PostgreSQL, which is the depth goal's figure), then READS reads of each kind from READ_CLIENTS concurrent clients, plus
 *    creditBalances: reads/s, p50, p99.
 *
 * Env: HISTORY_MOVEMENTS (5000), HOT_CLIENTS (8), HOT_WARMUP (1000), HISTORY_SQL_FILL (1000000),
 *      HISTORY_READS (1000 per kind), HISTORY_READ_CLIENTS (50), HISTORY_SEQUENTIAL (100 reads per page kind, one at a time),
 *      HISTORY_OPEN_SECONDS (10) and HISTORY_OPEN_WARMUP_SECONDS (2, at the same rate, not counted).
 */
import 'reflect-metadata';
import { Client } from 'pg';
import {
  CURRENCY,
  cpuMeter,
  createCustomers,
  envInt,
  fmt,
  loadFromWorker,
  openLoopLoad,
  ms,
  now,
  percentile,
  result,
  setupCatalog,
  withBenchApp,
  type QueryStats,
} from './lib';

const MOVEMENTS = envInt('HISTORY_MOVEMENTS', 5_000);
const HOT_CLIENTS = envInt('HOT_CLIENTS', 8);
const HOT_WARMUP = envInt('HOT_WARMUP', 1000);
const SQL_FILL = envInt('HISTORY_SQL_FILL', 1_000_000);
const READS = envInt('HISTORY_READS', 1000);
const READ_CLIENTS = envInt('HISTORY_READ_CLIENTS', 50);
const SEQUENTIAL = envInt('HISTORY_SEQUENTIAL', 100);
const OPEN_SECONDS = envInt('HISTORY_OPEN_SECONDS', 10);
const OPEN_WARMUP_SECONDS = envInt('HISTORY_OPEN_WARMUP_SECONDS', 2);
const GRANT = '100000000.00';

const HISTORY_QUERY = `query($c:ID!,$after:String){creditTransactions(customerId:$c,first:20,after:$after){
  edges{cursor node{id sequence type amount balanceBefore balanceAfter bookedAt description currency{code}
    grant{id} allocations{amount grant{id}}}}
  pageInfo{hasNextPage endCursor}}}`;
const OLDEST_QUERY = `query($c:ID!){creditTransactions(customerId:$c,last:21){edges{node{sequence}} pageInfo{startCursor}}}`;
const ADJUST_MUTATION = `mutation($i:AdjustCreditsInput!){adjustCredits(input:$i){sequence}}`;
const BALANCE_QUERY = `query($c:ID!){creditBalances(customerId:$c){settled pending upcoming currency{code}}}`;

interface HistoryAnswer {
  creditTransactions: {
    edges: { cursor: string; node: { sequence: number } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/**
 * Older history straight into the tables: ADJUSTED movements of -0.01 with their allocations, continuing
 * the ledger's sequence and running balance, then the ledger row and the grant brought in line.
 */
async function fillHistorySql(dbUrl: string, customerId: string, n: number): Promise<void> {
  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  try {
    await pg.query('begin');
    const { rows } = await pg.query<{
      id: string;
      currency_id: string;
      balance: string;
      last_sequence: number;
    }>(
      `select id, currency_id, balance::text as balance, last_sequence from ledger where customer_id = $1 for update`,
      [customerId],
    );
    const ledger = rows[0]!;
    const grant = (
      await pg.query<{ id: string }>(`select id from credit_grant where ledger_id = $1 order by id limit 1`, [
        ledger.id,
      ])
    ).rows[0]!;
    // ids sort like the application's (prefix + 26 characters); gseq (identity) gives the booking order
    await pg.query(
      `insert into movement (id, ledger_id, customer_id, currency_id, sequence, type, amount, balance_before,
                             balance_after, booked_at, description)
       select 'mov_00000000000000' || lpad(upper(to_hex(i)), 12, '0'), $1, $2, $3, $4 + i, 'ADJUSTED', -0.01,
              $5::numeric - (i - 1) * 0.01, $5::numeric - i * 0.01, now() - interval '1 day', 'bench fill'
         from generate_series(1, $6::int) as i order by i`,
      [ledger.id, customerId, ledger.currency_id, ledger.last_sequence, ledger.balance, n],
    );
    await pg.query(
      `insert into allocation (movement_id, position, customer_id, grant_id, amount)
       select 'mov_00000000000000' || lpad(upper(to_hex(i)), 12, '0'), 0, $3, $1, -0.01 from generate_series(1, $2::int) as i`,
      [grant.id, n, customerId],
    );
    await pg.query(
      `update ledger set balance = balance - $2::numeric, last_sequence = last_sequence + $3 where id = $1`,
      [ledger.id, (n * 0.01).toFixed(2), n],
    );
    await pg.query(`update credit_grant set remaining = remaining - $2::numeric where id = $1`, [
      grant.id,
      (n * 0.01).toFixed(2),
    ]);
    await pg.query('commit');
    await pg.query('vacuum analyze movement');
    await pg.query('vacuum analyze allocation');
    // as after pgbench's own initialisation: the fill's writes reach disk now, not during what is measured
    await pg.query('checkpoint');
  } catch (e) {
    await pg.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    await pg.end();
  }
}

type Load = { latencies: number[]; seconds: number; errors: string[] };

/** `count` reads from `clients` concurrent clients on a worker thread (not the server's event loop). */
async function readLoad(
  url: string,
  request: { query: string; variables?: Record<string, unknown> },
  count: number,
  clients: number,
): Promise<Load> {
  const r = await loadFromWorker(url, [request], count, clients);
  if (r.errors.length > 0) throw new Error(`${r.errors.length} reads failed; first: ${r.errors[0]}`);
  return r;
}

function line(label: string, r: Load): string {
  return (
    `${label.padEnd(26)} ${fmt(r.latencies.length / r.seconds).padStart(9)} reads/s   ` +
    `p50 ${fmt(percentile(r.latencies, 50), 2)} ms   p99 ${fmt(percentile(r.latencies, 99), 2)} ms`
  );
}

/**
 * One hot customer: MOVEMENTS one-off createCharge mutations from HOT_CLIENTS clients on a worker thread (their
 * own event loop, as the issue asks: clients in the server's thread would be measured as the server's cost).
 */
async function hotCustomer(url: string, customerId: string, queries: QueryStats): Promise<void> {
  const requests = Array.from({ length: Math.min(MOVEMENTS, 1000) }, (_, i) => ({
    query: `mutation($i:CreateChargeInput!){createCharge(input:$i){id}}`,
    variables: {
      i: {
        customerId,
        currency: CURRENCY,
        amount: '0.01',
        description: `hot charge ${i}`,
        settlementMode: 'CREDIT_ONLY',
      },
    },
  }));
  // the same charges first, not counted: a vendor's server runs warm, as pgbench's C client and server are from
  // their first transaction (the warm-up's own rate is printed: the path is still being compiled)
  if (HOT_WARMUP > 0) {
    const w = await loadFromWorker(url, requests, HOT_WARMUP, HOT_CLIENTS);
    console.log(
      `hot customer warm-up (not counted): ${HOT_WARMUP} createCharge, ${fmt(HOT_WARMUP / w.seconds)} charges/s`,
    );
  }
  queries.reset();
  const cpu = cpuMeter();
  const r = await loadFromWorker(url, requests, MOVEMENTS, HOT_CLIENTS);
  const ok = r.latencies.length - r.errors.length;
  console.log(
    `hot customer: ${ok} createCharge in ${fmt(r.seconds, 2)} s from ${HOT_CLIENTS} clients (worker thread): ` +
      `${fmt(ok / r.seconds)} charges/s, p50 ${fmt(percentile(r.latencies, 50), 2)} ms, ` +
      `p99 ${fmt(percentile(r.latencies, 99), 2)} ms, errors surfaced: ${r.errors.length}`,
  );
  console.log(`  ${cpu.stop()}`);
  if (r.errors.length > 0) console.log(`  first error: ${r.errors[0]}`);
  queries.print('  createCharge issued', Math.max(1, MOVEMENTS), 'charge', 20);
  result('hot_charges_per_s', ok / r.seconds);
  result('hot_errors', r.errors.length);
}

void withBenchApp('history', async ({ gql, db, queries }) => {
  const url = gql.url;
  console.log(
    `history: 1 customer, ${MOVEMENTS} createCharge movements from ${HOT_CLIENTS} clients` +
      (SQL_FILL ? ` on top of ${SQL_FILL} older movements inserted with SQL` : '') +
      `; ${READS} reads per kind from ${READ_CLIENTS} clients`,
  );
  const setupStart = now();
  const planId = await setupCatalog(gql);
  const [customer] = await createCustomers(gql, { n: 1, planId, grantAmount: GRANT, concurrency: 1 });
  const c = customer!.id;
  if (SQL_FILL > 0) {
    const t = now();
    await fillHistorySql(db.url, c, SQL_FILL);
    console.log(`setup: ${SQL_FILL} movements inserted with SQL in ${fmt(ms(t) / 1000, 2)} s`);
  }
  await hotCustomer(url, c, queries);
  console.log(`setup total: ${fmt(ms(setupStart) / 1000, 2)} s`);

  // the oldest page: `last: 21` gives the 21 oldest; after its newest one come the 20 oldest
  const oldest = await gql.request<{ creditTransactions: { pageInfo: { startCursor: string } } }>(
    OLDEST_QUERY,
    { c },
  );
  const deepCursor = oldest.creditTransactions.pageInfo.startCursor;
  const page1Req = { query: HISTORY_QUERY, variables: { c } };
  const deepReq = { query: HISTORY_QUERY, variables: { c, after: deepCursor } };
  const balanceReq = { query: BALANCE_QUERY, variables: { c } };
  const floorReq = { query: '{__typename}' };
  const p1 = await gql.request<HistoryAnswer>(HISTORY_QUERY, page1Req.variables);
  const pd = await gql.request<HistoryAnswer>(HISTORY_QUERY, deepReq.variables);
  const total = p1.creditTransactions.edges[0]!.node.sequence;
  const deepSeq = pd.creditTransactions.edges[0]?.node.sequence ?? 0;
  console.log(
    `history: ${total} movements; page 1 starts at sequence ${total}, the deep page at sequence ${deepSeq} ` +
      `(depth ${total - deepSeq}); deep page has ${pd.creditTransactions.edges.length} rows, hasNextPage ${pd.creditTransactions.pageInfo.hasNextPage}`,
  );

  // warm-up, statement counts, then one client at a time
  await readLoad(url, page1Req, 100, 10);
  await readLoad(url, deepReq, 100, 10);
  await readLoad(url, balanceReq, 100, 10);
  queries.reset();
  await gql.request(HISTORY_QUERY, page1Req.variables);
  queries.print('one history page issued', 1, 'read', 10);
  queries.reset();
  await gql.request(BALANCE_QUERY, balanceReq.variables);
  queries.print('one creditBalances read issued', 1, 'read', 10);
  const seq1 = await readLoad(url, page1Req, SEQUENTIAL, 1);
  const seqDeep = await readLoad(url, deepReq, SEQUENTIAL, 1);
  const ratio = percentile(seqDeep.latencies, 50) / percentile(seq1.latencies, 50);
  console.log('');
  console.log(`one client, ${SEQUENTIAL} reads each:`);
  console.log(line('  page 1 (first: 20)', seq1));
  console.log(line(`  page at depth ${total - deepSeq}`, seqDeep));
  console.log(
    `  deep / page-1 p50 latency: ${fmt(ratio, 2)}× (page 1 served from memory: kept, nothing booked)`,
  );
  // page 1 as PostgreSQL serves it: a movement booked before each read voids the kept page (the booking is not
  // timed); the deep page read right after, by the same client, so both cost what the database does at depth.
  // A debit: a positive adjustment books a grant of its own, and a hundred more live grants would make every
  // creditBalances read below aggregate them (that read fell from ~1,100 to ~400 reads/s)
  const dbPage1: number[] = [];
  const dbDeep: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    await gql.request(ADJUST_MUTATION, {
      i: { customerId: c, currency: CURRENCY, amount: '-0.01', reason: 'bench: void the kept page' },
    });
    let t0 = now();
    await gql.request(HISTORY_QUERY, page1Req.variables);
    dbPage1.push(ms(t0));
    t0 = now();
    await gql.request(HISTORY_QUERY, deepReq.variables);
    dbDeep.push(ms(t0));
  }
  const dbRatio = percentile(dbDeep, 50) / percentile(dbPage1, 50);
  console.log(
    `  read from PostgreSQL (a movement booked before each pair): page 1 p50 ${fmt(percentile(dbPage1, 50), 2)} ms, ` +
      `deep p50 ${fmt(percentile(dbDeep, 50), 2)} ms: deep / page-1 ${fmt(dbRatio, 2)}× (the depth goal's figure)`,
  );

  console.log(`${READ_CLIENTS} concurrent clients (worker thread), ${READS} reads each kind:`);
  const cpu = cpuMeter();
  const conc1 = await readLoad(url, page1Req, READS, READ_CLIENTS);
  const concDeep = await readLoad(url, deepReq, READS, READ_CLIENTS);
  const concBal = await readLoad(url, balanceReq, READS, READ_CLIENTS);
  const cpuLine = cpu.stop();
  const concFloor = await readLoad(url, floorReq, READS, READ_CLIENTS);
  console.log(line('  history page 1', conc1));
  console.log(line('  history deep page', concDeep));
  console.log(line('  creditBalances', concBal));
  console.log(`  ${cpuLine}`);
  console.log(line('  {__typename} (floor)', concFloor));

  result('history_depth', total - deepSeq);
  result('history_page1_p50_ms', percentile(seq1.latencies, 50));
  result('history_deep_p50_ms', percentile(seqDeep.latencies, 50));
  result('history_deep_over_page1', dbRatio);
  result('history_deep_over_kept_page1', ratio);
  result('history_page1_reads_per_s', conc1.latencies.length / conc1.seconds);
  result('history_page1_p99_ms', percentile(conc1.latencies, 99));
  result('history_deep_reads_per_s', concDeep.latencies.length / concDeep.seconds);
  result('history_deep_p99_ms', percentile(concDeep.latencies, 99));
  result('balance_reads_per_s', concBal.latencies.length / concBal.seconds);
  result('balance_p99_ms', percentile(concBal.latencies, 99));
  result('floor_reads_per_s', concFloor.latencies.length / concFloor.seconds);

  // SPEC §13: p99 at half the closed-loop throughput, offered open-loop
  for (const [name, req, closed] of [
    ['history_page1', page1Req, conc1],
    ['balance', balanceReq, concBal],
  ] as const) {
    const rate = closed.latencies.length / closed.seconds / 2;
    const open = await openLoopLoad(url, [req], rate, OPEN_SECONDS, OPEN_WARMUP_SECONDS);
    if (open.errors.length > 0)
      throw new Error(`${open.errors.length} open-loop reads failed: ${open.errors[0]}`);
    console.log(
      `  ${name} open loop at ${fmt(rate)} reads/s offered for ${OPEN_SECONDS} s: p50 ` +
        `${fmt(percentile(open.latencies, 50), 2)} ms, p99 ${fmt(percentile(open.latencies, 99), 2)} ms`,
    );
    result(`${name}_open_rate`, rate);
    result(`${name}_open_p99_ms`, percentile(open.latencies, 99));
  }
});
