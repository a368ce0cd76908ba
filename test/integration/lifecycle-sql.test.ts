import fc from 'fast-check';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dueSteps, grantStatus, type LedgerGrant } from '../../src/engine';
import { dueWorkSql, grantStatusSql } from '../../src/modules/ledger/grant-sql';
import { Dec, ZERO } from '../../src/money';
import { uniq, uniqCode } from '../support/app';

/**
 * The SQL filters of grant-sql.ts restate the engine's lifecycle predicates (grant status, due work). This
 * holds each one against its TypeScript predicate: random grants, valid for the table's constraints, are
 * inserted into PostgreSQL's credit_grant and classified by both, at a random instant. Every run rolls back.
 */

const T0 = Date.UTC(2031, 0, 1);
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

interface RandomGrant {
  id: string;
  fundingMethod: LedgerGrant['fundingMethod'];
  paymentStatus: LedgerGrant['paymentStatus'];
  amount: Dec;
  /** The stored column: anything the constraints allow (0..amount). */
  remaining: Dec;
  effectiveAt: Date;
  expiresAt: Date | null;
  fundedAt: Date | null;
  voidedAt: Date | null;
  expiredAt: Date | null;
}

// minutes 0..12 around asOf 0..14, so effectiveAt = asOf and expiresAt = asOf are frequent; each optional
// instant is unset half the time (freq: 2), so unfunded, unvoided, unexpired grants are common too
const grantArb = (id: string): fc.Arbitrary<RandomGrant> =>
  fc
    .record({
      fundingMethod: fc.constantFrom<RandomGrant['fundingMethod']>('PROMOTIONAL', 'INVOICE', 'EXTERNAL'),
      paymentStatus: fc.constantFrom<RandomGrant['paymentStatus']>(
        null,
        'PENDING',
        'AUTHORIZED',
        'SETTLED',
        'FAILED',
      ),
      cents: fc.integer({ min: 1, max: 1000 }),
      left: fc.constantFrom(0, 0.5, 1),
      effective: fc.integer({ min: 0, max: 6 }),
      lifetime: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null, freq: 2 }),
      funded: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null, freq: 2 }),
      voided: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null, freq: 2 }),
      expired: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null, freq: 2 }),
    })
    .map((r) => {
      const amount = new Dec(r.cents).div(100);
      return {
        id,
        fundingMethod: r.fundingMethod,
        paymentStatus: r.paymentStatus,
        amount,
        remaining: amount.times(r.left).toDecimalPlaces(2),
        effectiveAt: at(r.effective),
        expiresAt: r.lifetime === null ? null : at(r.effective + r.lifetime),
        fundedAt: r.funded === null ? null : at(r.funded),
        voidedAt: r.voided === null ? null : at(r.voided),
        expiredAt: r.expired === null ? null : at(r.expired),
      };
    });

const grantsArb = fc
  .integer({ min: 1, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => grantArb(`grt_sql_${i}`))));

/** A stored grant as the engine sees it (as views.ts maps it): on the ledger only once funded. */
function ledgerGrant(g: RandomGrant): LedgerGrant {
  return {
    ...g,
    priority: 10,
    perUnitCost: ZERO,
    createdAt: at(0),
    featureKeys: null,
    remaining: g.fundedAt !== null ? g.remaining : ZERO,
  };
}

let db: Client;
let ledger: { id: string; customerId: string; currencyId: string };

beforeAll(async () => {
  db = new Client({ connectionString: inject('databaseUrl') });
  await db.connect();
  ledger = { id: uniq('led_sql'), customerId: uniq('cus_sql'), currencyId: uniq('cur_sql') };
  await db.query(
    `insert into currency (id, code, name, scale, custom) values ($1, $2, 'lifecycle sql', 2, true)`,
    [ledger.currencyId, uniqCode('S')],
  );
  await db.query(`insert into customer (id, key, name) values ($1, $2, 'lifecycle sql')`, [
    ledger.customerId,
    uniq('lifecycle-sql'),
  ]);
  await db.query(`insert into ledger (id, customer_id, currency_id) values ($1, $2, $3)`, [
    ledger.id,
    ledger.customerId,
    ledger.currencyId,
  ]);
});

afterAll(async () => {
  await db.end();
});

/** Inserts the grants in a transaction, runs `fn`, and rolls everything back. */
async function withGrants<T>(grants: RandomGrant[], fn: () => Promise<T>): Promise<T> {
  await db.query('begin');
  try {
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const params: unknown[] = [];
    const rows = grants.map((g) => {
      const p = [
        g.id,
        ledger.id,
        ledger.customerId,
        ledger.currencyId,
        g.fundingMethod,
        g.amount.toFixed(),
        g.remaining.toFixed(),
        iso(g.effectiveAt),
        iso(g.expiresAt),
        g.paymentStatus,
        iso(g.fundedAt),
        iso(g.voidedAt),
        iso(g.expiredAt),
      ];
      const base = params.length;
      params.push(...p);
      return `(${p.map((_, i) => `$${base + i + 1}`).join(', ')}, 'GRANT', 10, now())`;
    });
    await db.query(
      `insert into credit_grant (id, ledger_id, customer_id, currency_id, funding_method, amount, remaining, effective_at,
                                 expires_at, payment_status, funded_at, voided_at, expired_at, source, priority, created_at)
       values ${rows.join(', ')}`,
      params,
    );
    return await fn();
  } finally {
    await db.query('rollback');
  }
}

describe('grant lifecycle SQL agrees with the engine', () => {
  it('grantStatusSql = grantStatus, and the union of dueWorkSql = the grants dueSteps books, on random grants', async () => {
    let grantsChecked = 0;
    const statusesSeen = new Set<string>();
    const instant = () => '$2::timestamptz';
    const status = grantStatusSql(instant);
    const due = dueWorkSql(instant)
      .map((b) => `(${b})`)
      .join(' or ');
    await fc.assert(
      fc.asyncProperty(grantsArb, fc.integer({ min: 0, max: 14 }), async (grants, minute) => {
        const asOf = at(minute);
        const rows = await withGrants(grants, async () => {
          const r = await db.query<{ id: string; status: string; due: boolean }>(
            `select g.id, ${status} as status, coalesce(${due}, false) as due
               from credit_grant g where g.ledger_id = $1 order by g.id`,
            [ledger.id, asOf.toISOString()],
          );
          return r.rows;
        });
        const byId = new Map(grants.map((g) => [g.id, ledgerGrant(g)]));
        expect(rows).toHaveLength(grants.length);
        for (const row of rows) {
          const g = byId.get(row.id)!;
          expect({ id: row.id, status: row.status }).toEqual({ id: row.id, status: grantStatus(g, asOf) });
          expect({ id: row.id, due: row.due }).toEqual({ id: row.id, due: dueSteps([g], asOf).length > 0 });
          statusesSeen.add(row.status);
        }
        grantsChecked += rows.length;
      }),
      { numRuns: 300 },
    );
    // every status came up, so each branch of the SQL was compared at least once
    expect([...statusesSeen].sort()).toEqual(['ACTIVE', 'DEPLETED', 'EXPIRED', 'PENDING', 'VOIDED']);
    console.log(`lifecycle SQL: ${grantsChecked} random grants in 300 runs agreed with the engine`);
  });
});
