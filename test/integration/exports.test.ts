import { Client } from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { IssueCustomerTokenDocument, VoidCreditGrantDocument } from '../gql/graphql';
import { ADMIN_KEY, useTestApp, type TestApp } from '../support/app';
import {
  adjustCredits,
  currencyAndCustomer,
  grantCredits,
  historyOf,
  newCurrency,
  newCustomer,
} from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';

const t = useTestApp();

const base = (app: TestApp) => app.url.replace(/\/graphql$/, '');

async function get(path: string, token: string | null = ADMIN_KEY) {
  const res = await fetch(base(t) + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** RFC 4180: quoted fields with doubled quotes, commas and line breaks inside quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) throw new Error('the CSV does not end with CRLF');
  return rows;
}

/** CSV rows as objects keyed by the header row. */
function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

const TRICKY = 'refund, "goodwill"\nsecond line';

/** A customer with four movements: grant 100, adjust -10 (a tricky reason), grant 50 voided. */
async function scenario() {
  const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'EX' });
  await grantCredits(t, customerId, currency, '100', { name: 'Welcome' });
  await adjustCredits(t, customerId, currency, '-10', TRICKY);
  const g = await grantCredits(t, customerId, currency, '50');
  await t.ok(VoidCreditGrantDocument, { grantId: g.id, reason: 'mistake' });
  return { currency, customerId };
}

describe('GET /export/movements', () => {
  it('CSV and NDJSON hold what the API history shows, in booking order, amounts as decimal strings', async () => {
    const { currency, customerId } = await scenario();
    const history = (await historyOf(t, customerId)).reverse(); // oldest first
    expect(history.map((m) => m.type)).toEqual(['FUNDED', 'ADJUSTED', 'FUNDED', 'VOIDED']);

    const csv = await get(`/export/movements?customerId=${customerId}`);
    expect(csv.status).toBe(200);
    expect(csv.type).toContain('text/csv');
    expect(csv.text.split('\r\n')[0]).toBe(
      'id,booked_at,customer_id,currency,sequence,type,amount,balance_before,balance_after,grant_id,charge_id,corrects_id,description',
    );
    const rows = csvObjects(csv.text);
    expect(rows).toHaveLength(4);
    rows.forEach((r, i) => {
      const m = history[i]!;
      expect(r).toMatchObject({
        id: m.id,
        booked_at: new Date(m.bookedAt as string).toISOString(),
        customer_id: customerId,
        currency,
        sequence: String(m.sequence),
        type: m.type,
        amount: m.amount,
        balance_before: m.balanceBefore,
        balance_after: m.balanceAfter,
        grant_id: m.grant?.id ?? '',
        description: m.description ?? '',
      });
    });
    expect(rows[1]!.description).toBe(TRICKY); // quoted and unquoted back exactly
    expect(rows[1]!.amount).toBe('-10.00');

    const nd = await get(`/export/movements?customerId=${customerId}&format=ndjson`);
    expect(nd.status).toBe(200);
    expect(nd.type).toContain('application/x-ndjson');
    const lines = nd.text.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    objects.forEach((o, i) => {
      const m = history[i]!;
      expect(o).toMatchObject({
        id: m.id,
        sequence: m.sequence,
        type: m.type,
        amount: m.amount,
        balanceAfter: m.balanceAfter,
        currency,
        customerId,
        description: m.description,
      });
      expect(typeof o.amount).toBe('string');
    });
    await checkLedgerInvariants([customerId]);
  });

  it('filters by customer, currency and [from, to)', async () => {
    const { currency, customerId } = await scenario();
    const other = await newCurrency(t, { prefix: 'EY', scale: 0 });
    await grantCredits(t, customerId, other, '7');
    const stranger = await newCustomer(t);
    await grantCredits(t, stranger.customerId, currency, '1');

    const all = csvObjects((await get(`/export/movements?customerId=${customerId}`)).text);
    expect(all.map((r) => r.currency)).toEqual([currency, currency, currency, currency, other]);
    expect(all[4]!.amount).toBe('7'); // scale 0

    const one = csvObjects((await get(`/export/movements?customerId=${customerId}&currency=${other}`)).text);
    expect(one.map((r) => r.type)).toEqual(['FUNDED']);

    const byCurrency = csvObjects((await get(`/export/movements?currency=${currency}`)).text);
    expect(new Set(byCurrency.map((r) => r.customer_id))).toEqual(new Set([customerId, stranger.customerId]));

    const from = all[2]!.booked_at;
    const to = all[4]!.booked_at;
    const window = csvObjects(
      (await get(`/export/movements?customerId=${customerId}&from=${from}&to=${to}`)).text,
    );
    // booked_at has millisecond precision: the window holds the third movement and whatever shares its ms
    expect(window.map((r) => r.id)).toEqual(
      all.filter((r) => r.booked_at! >= from! && r.booked_at! < to!).map((r) => r.id),
    );
    expect(window.map((r) => r.id)).toContain(all[2]!.id);
    expect(window.map((r) => r.id)).not.toContain(all[4]!.id);
    const future = await get(`/export/movements?customerId=${customerId}&from=2999-01-01`);
    expect(csvObjects(future.text)).toEqual([]);
    await checkLedgerInvariants([customerId, stranger.customerId]);
  });

  it('needs a key; a customer token exports only its own movements', async () => {
    const { customerId } = await scenario();
    const stranger = await newCustomer(t);
    const noKey = await get(`/export/movements?customerId=${customerId}`, null);
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const token = (await t.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 600 })).issueCustomerToken
      .token;
    const own = await get('/export/movements', token);
    expect(own.status).toBe(200);
    expect(new Set(csvObjects(own.text).map((r) => r.customer_id))).toEqual(new Set([customerId]));
    expect(csvObjects(own.text)).toHaveLength(4);
    const theirs = await get(`/export/movements?customerId=${stranger.customerId}`, token);
    expect(theirs.status).toBe(403);
    expect(JSON.parse(theirs.text).errors[0].extensions.code).toBe('FORBIDDEN');
    const report = await get('/export/report', token);
    expect(report.status).toBe(403);
    await checkLedgerInvariants([customerId]);
  });

  it('answers 400 BAD_USER_INPUT naming each bad parameter, 404 for an unknown customer or currency', async () => {
    const cases: [string, string[]][] = [
      ['format=xml', ['format']],
      ['from=2026-02-31', ['from']],
      ['from=2026-01-01T10:00:00', ['from']], // no zone
      ['from=yesterday&to=1e9', ['from', 'to']],
      ['from=2026-02-01&to=2026-01-01', ['to']],
      ['customerId=jane@example.com', ['customerId']],
      ['currency=usd', ['currency']],
      ['currency=USD&currency=EUR', ['currency']],
      ['customer=cus_x', ['customer']],
    ];
    for (const [query, fields] of cases) {
      const res = await get(`/export/movements?${query}`);
      expect(res.status, query).toBe(400);
      const error = JSON.parse(res.text).errors[0];
      expect(error.extensions.code, query).toBe('BAD_USER_INPUT');
      expect(error.extensions.problems.map((p: { field: string }) => p.field).sort(), query).toEqual(fields);
    }
    const monthOnReport = await get('/export/report?from=2026-13');
    expect(monthOnReport.status).toBe(400);
    const unknownCustomer = await get('/export/movements?customerId=cus_00000000000000000000000000');
    expect(unknownCustomer.status).toBe(404);
    expect(JSON.parse(unknownCustomer.text).errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await get('/export/movements?currency=NOPE_NONE')).status).toBe(404);
  });
});

describe('GET /export/report', () => {
  it('sums granted, consumed, expired, voided, corrected, adjusted and purchased value per currency and month', async () => {
    const { currency, customerId } = await scenario();
    const month = new Date().toISOString().slice(0, 7);
    const json = await get(`/export/report?currency=${currency}&format=json`);
    expect(json.status).toBe(200);
    const { rows } = JSON.parse(json.text) as { rows: Record<string, unknown>[] };
    expect(rows).toEqual([
      {
        currency,
        month,
        granted: '150.00',
        purchased: '0.00',
        purchasedValue: [],
        consumed: '0.00',
        expired: '0.00',
        voided: '50.00',
        corrected: '0.00',
        adjusted: '-10.00',
        net: '90.00',
        movements: 4,
      },
    ]);
    const csv = await get(`/export/report?currency=${currency}&from=${month}`);
    expect(csv.type).toContain('text/csv');
    expect(csvObjects(csv.text)).toEqual([
      {
        currency,
        month,
        granted: '150.00',
        purchased: '0.00',
        consumed: '0.00',
        expired: '0.00',
        voided: '50.00',
        corrected: '0.00',
        adjusted: '-10.00',
        net: '90.00',
        movements: '4',
      },
    ]);
    const before = await get(`/export/report?currency=${currency}&to=${month}&format=json`);
    expect(JSON.parse(before.text).rows).toEqual([]);
    await checkLedgerInvariants([customerId]);
  });
});

/**
 * Older history straight into the tables, as bench/history.ts does: n ADJUSTED movements of -0.01 with
 * their allocations, continuing the ledger's sequence and balance, the ledger and the grant brought in line.
 */
async function fillHistory(customerId: string, n: number): Promise<void> {
  const pg = new Client({ connectionString: inject('databaseUrl') });
  await pg.connect();
  try {
    await pg.query('begin');
    const ledger = (
      await pg.query<{ id: string; currency_id: string; balance: string; last_sequence: number }>(
        `select id, currency_id, balance::text, last_sequence from ledger where customer_id = $1 for update`,
        [customerId],
      )
    ).rows[0]!;
    const grant = (
      await pg.query<{ id: string }>(`select id from credit_grant where ledger_id = $1`, [ledger.id])
    ).rows[0]!;
    const id = `'mov_0000000000000E' || lpad(upper(to_hex(i)), 12, '0')`;
    await pg.query(
      `insert into movement (id, ledger_id, customer_id, currency_id, sequence, type, amount, balance_before,
                             balance_after, booked_at, description)
       select ${id}, $1, $2, $3, $4 + i, 'ADJUSTED', -0.01, $5::numeric - (i - 1) * 0.01,
              $5::numeric - i * 0.01, now(), 'filled, "by SQL"'
         from generate_series(1, $6::int) as i order by i`,
      [ledger.id, customerId, ledger.currency_id, ledger.last_sequence, ledger.balance, n],
    );
    await pg.query(
      `insert into allocation (movement_id, position, customer_id, grant_id, amount)
       select ${id}, 0, $3, $1, -0.01 from generate_series(1, $2::int) as i`,
      [grant.id, n, customerId],
    );
    const total = (n / 100).toFixed(2);
    await pg.query(
      `update ledger set balance = balance - $2::numeric, last_sequence = last_sequence + $3 where id = $1`,
      [ledger.id, total, n],
    );
    await pg.query(`update credit_grant set remaining = remaining - $2::numeric where id = $1`, [
      grant.id,
      total,
    ]);
    await pg.query('commit');
  } finally {
    await pg.end();
  }
}

describe('an export of 100,000 movements', () => {
  it(
    'streams every row with flat memory (server heap sampled during the export)',
    { timeout: 240_000 },
    async () => {
      const N = 100_000;
      const { currency, customerId } = await currencyAndCustomer(t, { prefix: 'EB' });
      await grantCredits(t, customerId, currency, '5000');
      await fillHistory(customerId, N);

      // the server runs in this process: its heap is this process's heap
      const baseline = process.memoryUsage();
      let peakHeap = baseline.heapUsed;
      let peakRss = baseline.rss;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peakHeap = Math.max(peakHeap, m.heapUsed);
        peakRss = Math.max(peakRss, m.rss);
      }, 20);

      const started = Date.now();
      const res = await fetch(`${base(t)}/export/movements?customerId=${customerId}`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(res.status).toBe(200);
      // read it as a client would stream it to disk: keep only the line count and the first and last rows
      const decoder = new TextDecoder();
      let bytes = 0;
      let records = 0;
      let carry = '';
      let first: string | null = null;
      let last = '';
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        const text = carry + decoder.decode(value, { stream: true });
        const parts = text.split('\r\n');
        carry = parts.pop()!;
        for (const line of parts) {
          // a description with a line break would span records; these have none
          records++;
          if (records === 2) first = line;
          last = line;
        }
      }
      clearInterval(sampler);
      expect(carry).toBe('');
      expect(records).toBe(N + 2); // header, the grant's FUNDED, N adjustments
      const firstRow = parseCsv(first! + '\r\n')[0]!;
      const lastRow = parseCsv(last + '\r\n')[0]!;
      expect(firstRow[4]).toBe('1');
      expect(firstRow[5]).toBe('FUNDED');
      expect(firstRow[6]).toBe('5000.00');
      expect(lastRow[4]).toBe(String(N + 1));
      expect(lastRow[5]).toBe('ADJUSTED');
      expect(lastRow[6]).toBe('-0.01');
      expect(lastRow[8]).toBe('4000.00'); // 5000 - 100,000 × 0.01
      expect(lastRow[12]).toBe('filled, "by SQL"');

      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      console.log(
        `export of ${N} movements: ${mb(bytes)} MB of CSV in ${Date.now() - started} ms; heap ${mb(baseline.heapUsed)} MB before, ` +
          `peak ${mb(peakHeap)} MB (+${mb(peakHeap - baseline.heapUsed)} MB); ` +
          `RSS ${mb(baseline.rss)} MB before, peak ${mb(peakRss)} MB (+${mb(peakRss - baseline.rss)} MB)`,
      );
      await checkLedgerInvariants([customerId]);
    },
  );
});
