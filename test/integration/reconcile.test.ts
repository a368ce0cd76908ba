import { execFile } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  AdjustCreditsDocument,
  IngestUsageDocument,
  IssueCustomerTokenDocument,
  SettleChargesDocument,
} from '../gql/graphql';
import { codeOf, uniq, useTestApp } from '../support/app';
import { checkLedgerInvariants } from '../support/invariants';
import { currencyAndCustomer, grantCredits, subscribeToUnitPlan } from '../support/builders';
import { useDb } from '../support/db';

const t = useTestApp();

interface Drift {
  kind: string;
  customerId: string;
  currency: string;
  ledgerId: string | null;
  entityId: string | null;
  sequence: number | null;
  expected: string;
  actual: string;
  detail: string;
}
interface Report {
  reconcileLedgers: {
    clean: boolean;
    ledgers: number;
    movements: number;
    grants: number;
    charges: number;
    truncated: boolean;
    drift: Drift[];
  };
}
const RECONCILE = `query Reconcile($customerId: ID) {
  reconcileLedgers(customerId: $customerId) {
    clean ledgers movements grants charges truncated
    drift { kind customerId currency ledgerId entityId sequence expected actual detail }
  }
}`;

async function reconcile(customerId?: string) {
  const res = await t.raw<Report>(RECONCILE, customerId ? { customerId } : {});
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.reconcileLedgers;
}

/** `npm run reconcile` as an operator runs it (the built CLI), against the test database. */
function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.resolve(__dirname, '../../dist/src/cli/reconcile.js'), ...args],
      { env: { ...process.env, DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'error' } },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout }),
    );
  });
}

const db = useDb();

/** Runs statements with the append-only triggers off for this transaction only (a superuser's repair tool). */
/**
 * The database is shared by every test file, and `alter table movement` waits for every open transaction
 * on the table while each later statement on it waits behind the ALTER: a short lock_timeout, retried, keeps
 * one slow reader elsewhere from stalling the whole run behind this repair.
 */
async function asRepair(sql: string, params: unknown[] = []) {
  for (let attempt = 1; ; attempt++) {
    await db.query('begin');
    try {
      await db.query('set local session_replication_role = replica');
      await db.query(`set local lock_timeout = '2s'`);
      const r = await db.query(sql, params);
      await db.query('commit');
      return r;
    } catch (e) {
      await db.query('rollback');
      if ((e as { code?: string }).code !== '55P03' || attempt >= 10) throw e;
    }
  }
}

/**
 * A customer whose one ledger holds every kind of row the checks read: a grant, an adjustment drawing
 * from it, usage settled into a CONSUMED movement (with its charge) that runs past the credit into debt,
 * and an adjustment repaying the debt.
 */
async function fixture() {
  const {
    currency,
    customerId,
    key: subject,
  } = await currencyAndCustomer(t, {
    prefix: 'RC',
    name: 'Reconcile',
    keyPrefix: 'rec',
    customerName: 'Reconcile customer',
  });
  const { eventType } = await subscribeToUnitPlan(t, customerId, currency, '1');
  await grantCredits(t, customerId, currency, '10');
  await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '-2', reason: 'fee' } });
  const events = Array.from({ length: 12 }, (_, i) => ({ id: uniq(`e${i}`), subject, type: eventType }));
  expect((await t.ok(IngestUsageDocument, { events })).ingestUsage.accepted).toBe(12);
  await t.ok(SettleChargesDocument, { customerId }); // 8 from the grant, 4 into debt
  await t.ok(AdjustCreditsDocument, { input: { customerId, currency, amount: '5', reason: 'top-up' } });
  const { rows } = await db.query<{ id: string; sequence: number; type: string; charge_id: string | null }>(
    `select id, sequence, type, charge_id from movement where customer_id = $1 order by sequence`,
    [customerId],
  );
  expect(rows.map((r) => r.type)).toEqual(['FUNDED', 'ADJUSTED', 'CONSUMED', 'ADJUSTED']);
  const ledger = (
    await db.query<{ id: string }>(`select id from ledger where customer_id = $1`, [customerId])
  ).rows[0]!.id;
  return { customerId, currency, ledgerId: ledger, movements: rows };
}

describe('reconcileLedgers', () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  beforeAll(async () => {
    f = await fixture();
  });

  it('finds no drift in a database the API wrote, across every ledger and for one customer', async () => {
    await checkLedgerInvariants([f.customerId]);
    const started = Date.now();
    const all = await reconcile();
    console.log(
      `reconcileLedgers over ${all.ledgers} ledgers, ${all.movements} movements: ${Date.now() - started} ms`,
    );
    expect(all.drift).toEqual([]);
    expect(all.clean).toBe(true);
    expect(all.ledgers).toBeGreaterThanOrEqual(1);
    const one = await reconcile(f.customerId);
    expect(one).toMatchObject({ clean: true, ledgers: 1, movements: 4, grants: 2, charges: 1, drift: [] });
  });

  it('is admin-only: a customer token gets FORBIDDEN, an unknown customer NOT_FOUND', async () => {
    const tok = await t.ok(IssueCustomerTokenDocument, { customerId: f.customerId, ttlSeconds: 60 });
    const res = await t.raw(RECONCILE, { customerId: f.customerId }, tok.issueCustomerToken.token);
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(codeOf(await t.raw(RECONCILE, {}, tok.issueCustomerToken.token))).toBe('FORBIDDEN');
    expect(codeOf(await t.raw(RECONCILE, { customerId: 'cus_nope' }))).toBe('NOT_FOUND');
  });

  // each corruption is planted straight into the database, found, then undone (the database stays clean)
  const plants: {
    name: string;
    kinds: string[];
    plant: () => Promise<unknown>;
    undo: () => Promise<unknown>;
    check?: (d: Drift[]) => void;
  }[] = [
    {
      name: 'a sequence gap (the last movement renumbered)',
      kinds: ['SEQUENCE_GAP', 'LEDGER_SEQUENCE'],
      plant: () => asRepair(`update movement set sequence = 6 where id = $1`, [f.movements[3]!.id]),
      undo: () => asRepair(`update movement set sequence = 4 where id = $1`, [f.movements[3]!.id]),
      check: (d) =>
        expect(d.find((x) => x.kind === 'SEQUENCE_GAP')).toMatchObject({
          sequence: 6,
          expected: '4',
          actual: '6',
        }),
    },
    {
      name: 'a broken before/after link (one movement shifted by 1)',
      kinds: ['BALANCE_CHAIN'],
      plant: () =>
        asRepair(
          `update movement set balance_before = balance_before + 1, balance_after = balance_after + 1 where id = $1`,
          [f.movements[1]!.id],
        ),
      undo: () =>
        asRepair(
          `update movement set balance_before = balance_before - 1, balance_after = balance_after - 1 where id = $1`,
          [f.movements[1]!.id],
        ),
      check: (d) =>
        expect(d.filter((x) => x.kind === 'BALANCE_CHAIN').map((x) => x.sequence)).toEqual([2, 3]),
    },
    {
      name: 'balanceAfter ≠ balanceBefore + amount (the CHECK dropped for it)',
      // the next movement's balanceBefore no longer meets it either
      kinds: ['BALANCE_ARITHMETIC', 'BALANCE_CHAIN'],
      plant: () => plantArithmetic(f.movements[2]!.id),
      undo: () => undoArithmetic(f.movements[2]!.id),
      check: (d) => {
        expect(d.find((x) => x.kind === 'BALANCE_ARITHMETIC')).toMatchObject({ sequence: 3 });
        expect(d.find((x) => x.kind === 'BALANCE_CHAIN')).toMatchObject({ sequence: 4 });
      },
    },
    {
      name: "allocations that do not add up to their movement's amount",
      kinds: ['ALLOCATION_SUM', 'LEDGER_DEBT'],
      plant: () =>
        asRepair(
          `insert into allocation (movement_id, position, customer_id, grant_id, amount)
           select id, 99, customer_id, null, -1 from movement where id = $1`,
          [f.movements[2]!.id],
        ),
      undo: () =>
        asRepair(`delete from allocation where movement_id = $1 and position = 99`, [f.movements[2]!.id]),
    },
    {
      name: "a grant's remaining off by 1",
      kinds: ['GRANT_REMAINING', 'LEDGER_GRANTS'],
      plant: () =>
        db.query(
          `update credit_grant set remaining = remaining - 1 where customer_id = $1 and source = 'ADJUSTMENT' and amount = 5`,
          [f.customerId],
        ),
      undo: () =>
        db.query(
          `update credit_grant set remaining = remaining + 1 where customer_id = $1 and source = 'ADJUSTMENT' and amount = 5`,
          [f.customerId],
        ),
    },
    {
      name: 'a ledger balance that is not its last movement',
      kinds: ['LEDGER_BALANCE', 'LEDGER_GRANTS'],
      plant: () => db.query(`update ledger set balance = balance + 0.01 where id = $1`, [f.ledgerId]),
      undo: () => db.query(`update ledger set balance = balance - 0.01 where id = $1`, [f.ledgerId]),
    },
    {
      name: 'a ledger last sequence that is not its last movement',
      kinds: ['LEDGER_SEQUENCE'],
      plant: () => db.query(`update ledger set last_sequence = 3 where id = $1`, [f.ledgerId]),
      undo: () => db.query(`update ledger set last_sequence = 4 where id = $1`, [f.ledgerId]),
    },
    {
      name: 'a ledger debt that its allocations do not explain',
      kinds: ['LEDGER_DEBT', 'LEDGER_GRANTS'],
      plant: () => db.query(`update ledger set debt = debt + 2 where id = $1`, [f.ledgerId]),
      undo: () => db.query(`update ledger set debt = debt - 2 where id = $1`, [f.ledgerId]),
    },
    {
      name: 'a charge booked without its movement',
      kinds: ['CHARGE_CREDITED'],
      plant: () =>
        db.query(
          `update charge set credited_amount = credited_amount + 3, booked = booked + 3 where id = $1`,
          [f.movements[2]!.charge_id],
        ),
      undo: () =>
        db.query(
          `update charge set credited_amount = credited_amount - 3, booked = booked - 3 where id = $1`,
          [f.movements[2]!.charge_id],
        ),
    },
  ];

  for (const p of plants) {
    it(`finds ${p.name}: ${p.kinds.join(', ')}`, async () => {
      await p.plant();
      try {
        const one = await reconcile(f.customerId);
        expect(one.clean).toBe(false);
        expect([...new Set(one.drift.map((d) => d.kind))].sort()).toEqual([...p.kinds].sort());
        expect(one.drift.every((d) => d.customerId === f.customerId && d.currency === f.currency)).toBe(true);
        p.check?.(one.drift);
        // the whole-database run finds the same
        const all = await reconcile();
        expect(all.drift.filter((d) => d.customerId === f.customerId)).toEqual(one.drift);
      } finally {
        await p.undo();
      }
      expect((await reconcile(f.customerId)).drift).toEqual([]);
    });
  }

  it('npm run reconcile: exit 0 and "No drift" when clean, exit 1 with a readable report on drift', async () => {
    const clean = await cli([]);
    expect(clean.stdout).toContain('No drift');
    expect(clean.code).toBe(0);
    await db.query(`update ledger set last_sequence = 2 where id = $1`, [f.ledgerId]);
    try {
      const found = await cli(['--customer', f.customerId]);
      expect(found.code).toBe(1);
      expect(found.stdout).toContain('DRIFT: 1 finding(s)');
      expect(found.stdout).toMatch(
        /LEDGER_SEQUENCE +customer .*ledger last sequence 2; its last movement is #4/,
      );
      const json = JSON.parse((await cli(['--customer', f.customerId, '--json'])).stdout) as {
        drift: Drift[];
      };
      expect(json.drift.map((d) => d.kind)).toEqual(['LEDGER_SEQUENCE']);
    } finally {
      await db.query(`update ledger set last_sequence = 4 where id = $1`, [f.ledgerId]);
    }
    expect((await cli(['--customer', f.customerId])).code).toBe(0);
    await checkLedgerInvariants([f.customerId]);
  });
});

/**
 * `balance_after = balance_before + amount` is a CHECK constraint, which no trigger switch turns off: drop
 * it for the planted row and put it back (validated) when the row is repaired.
 */
async function arithmeticCheck(): Promise<{ name: string; def: string }> {
  const { rows } = await db.query<{ name: string; def: string }>(
    `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = 'movement'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%balance_after = (balance_before + amount)%'`,
  );
  return rows[0]!;
}
let dropped: { name: string; def: string } | null = null;
async function plantArithmetic(movementId: string) {
  const check = await arithmeticCheck();
  await asRepair(
    `alter table movement drop constraint ${check.name};
     update movement set balance_after = balance_after + 1 where id = '${movementId}'`,
  );
  dropped = check;
}
async function undoArithmetic(movementId: string) {
  await asRepair(
    `update movement set balance_after = balance_after - 1 where id = '${movementId}';
     alter table movement add constraint ${dropped!.name} ${dropped!.def}`,
  );
}
