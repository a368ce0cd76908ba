import 'reflect-metadata';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock';
import {
  AdjustCreditsDocument,
  CorrectMovementDocument,
  CreateCreditGrantDocument,
  CreateCurrencyDocument,
  CreateCustomerDocument,
  CreateFeatureDocument,
  CreatePlanDocument,
  CreateSubscriptionDocument,
  IngestUsageDocument,
  ModelStateDocument,
  PublishPlanDocument,
  SettleChargesDocument,
  UpdateExternalSettlementDocument,
  UpdateInvoicePaymentStatusDocument,
  VoidCreditGrantDocument,
  type UsageEventInput,
} from '../gql/graphql';
import { codeOf, startTestApp, uniq, uniqCode, type GqlResult, type TestApp } from '../support/app';
import { checkLedgerInvariants } from '../support/invariants';
import {
  LedgerModel,
  halfEvenCents,
  money,
  type FundingMethod,
  type Mode,
  type Outcome,
  type PaymentStatus,
} from '../support/model-ledger';

/**
 * Model-based test through the GraphQL API (HTTP, real server, real PostgreSQL): random command sequences
 * (grants of each funding method, invoice payments, external settlements, adjustments, voids, time passing
 * and expiring grants, usage on a CREDIT_ONLY and a CREDIT_THEN_INVOICE plan, settlement, corrections) are
 * sent to the server and to an independent model (test/support/model-ledger.ts). After every command the
 * SPEC §6 invariants hold, and the balances, every grant, every movement with its allocations, the charges
 * and the invoices match the model, and so does each command's outcome (its error code when it must fail).
 *
 * The server runs on a controlled clock that only the commands move, starting in 2030, so no background
 * job ever books due work behind the model's back.
 *
 * DRAWDOWN_MODEL_RUNS (default 12), DRAWDOWN_MODEL_SEED, DRAWDOWN_MODEL_PATH and DRAWDOWN_MODEL_REPLAY
 * (fast-check's seed, path and the commands' replayPath, all printed on failure) replay a run.
 */

const env = process.env;
const RUNS = Number(env.DRAWDOWN_MODEL_RUNS ?? 12);
const SEED =
  env.DRAWDOWN_MODEL_SEED !== undefined
    ? Number(env.DRAWDOWN_MODEL_SEED)
    : Date.now() ^ (Math.random() * 0x7fffffff);
const PATH = env.DRAWDOWN_MODEL_PATH;
const REPLAY = env.DRAWDOWN_MODEL_REPLAY;
const MAX_COMMANDS = Number(env.DRAWDOWN_MODEL_COMMANDS ?? 40);

let nowMs = Date.UTC(2030, 0, 1);
const clock: Clock = { now: () => new Date(nowMs) };
/** Each command happens 1 ms after the previous one, so creation instants are distinct. */
const tick = () => ++nowMs;
const iso = (ms: number) => new Date(ms).toISOString();

/** The catalog shared by every run: a custom currency worth 2 USD, one plan per settlement mode. */
const CO_UNIT = { text: '1.50', milli: 150_000 };
const CTI_UNIT = { text: '0.125', milli: 12_500 };
const FIAT_VALUE = 2;

let t: TestApp;
let currency: string;
const eventType: Record<Mode, string> = { CREDIT_ONLY: '', CREDIT_THEN_INVOICE: '' };
const planId: Record<Mode, string> = { CREDIT_ONLY: '', CREDIT_THEN_INVOICE: '' };
const featureKeyOf: Record<Mode, string> = { CREDIT_ONLY: '', CREDIT_THEN_INVOICE: '' };
const unitMilli: Record<Mode, number> = { CREDIT_ONLY: CO_UNIT.milli, CREDIT_THEN_INVOICE: CTI_UNIT.milli };

interface Real {
  customerId: string;
  subject: string;
  lastBatch: Partial<Record<Mode, UsageEventInput[]>>;
}

beforeAll(async () => {
  // a generous cost limit: the state read is one large query, and the limits have their own tests
  t = await startTestApp({ DRAWDOWN_MAX_COST: '1000000' }, undefined, clock);
  currency = uniqCode('AM');
  await t.ok(CreateCurrencyDocument, {
    input: {
      code: currency,
      name: 'Model credits',
      scale: 2,
      fiatCode: 'USD',
      fiatValue: String(FIAT_VALUE),
    },
  });
  for (const [mode, unit] of [
    ['CREDIT_ONLY', CO_UNIT],
    ['CREDIT_THEN_INVOICE', CTI_UNIT],
  ] as const) {
    eventType[mode] = uniq(`model_${mode}`);
    const featureKey = uniq('model_feature');
    featureKeyOf[mode] = featureKey;
    await t.ok(CreateFeatureDocument, {
      input: { key: featureKey, name: 'Model feature', eventType: eventType[mode], aggregation: 'COUNT' },
    });
    const plan = await t.ok(CreatePlanDocument, {
      input: {
        key: uniq('model_plan'),
        name: 'Model plan',
        currency,
        settlementMode: mode,
        rateCards: [{ featureKey, price: { model: 'UNIT', unitAmount: unit.text } }],
      },
    });
    await t.ok(PublishPlanDocument, { id: plan.createPlan.id });
    planId[mode] = plan.createPlan.id;
  }
});

afterAll(async () => {
  await t?.stop();
});

/** A fresh customer subscribed to both plans since an hour ago. */
async function setupRun(): Promise<{ model: LedgerModel; real: Real }> {
  const subject = uniq('model_cus');
  const customer = await t.ok(CreateCustomerDocument, { input: { key: subject, name: 'Model customer' } });
  for (const mode of ['CREDIT_ONLY', 'CREDIT_THEN_INVOICE'] as const) {
    await t.ok(CreateSubscriptionDocument, {
      input: {
        customerId: customer.createCustomer.id,
        planId: planId[mode],
        activeFrom: iso(nowMs - 3600_000),
      },
    });
  }
  return {
    model: new LedgerModel(),
    real: { customerId: customer.createCustomer.id, subject, lastBatch: {} },
  };
}

/** The server's answer must be the model's outcome: success, or that error code. */
function expectOutcome(res: GqlResult<unknown>, expected: Outcome, what: string) {
  tally(expected.ok ? 'ok' : expected.code);
  if (expected.ok) {
    expect(res.errors, `${what}: must succeed`).toBeUndefined();
  } else {
    expect(codeOf(res), `${what}: must fail with ${expected.code} (${JSON.stringify(res.errors)})`).toBe(
      expected.code,
    );
  }
}

/** Everything the model predicts, read back through the API, plus the SPEC §6 invariants from the database. */
type Retry = 'none' | 'same' | 'conflict';
const retryNote = (r: Retry) => (r === 'none' ? '' : r === 'same' ? ', retried' : ', key reused');

/**
 * Sends a mutation with an idempotency key. 'same' sends it again: it must answer the same (the same id, or
 * the same error) and book nothing more. 'conflict' sends other input with the same key after a success:
 * IDEMPOTENCY_CONFLICT. The model is not told about the retries, so verify() checks nothing changed.
 */
async function sendKeyed<R>(
  retry: Retry,
  send: (key: string, changed: boolean) => Promise<GqlResult<R>>,
  idOf: (r: R) => string,
): Promise<GqlResult<R>> {
  const key = uniq('idem');
  const first = await send(key, false);
  if (retry === 'same') {
    const again = await send(key, false);
    if (first.errors) expect(codeOf(again), 'a retried failure fails the same').toBe(codeOf(first));
    else expect(idOf(again.data!), 'a retry answers the first result').toBe(idOf(first.data!));
  } else if (retry === 'conflict' && !first.errors) {
    expect(codeOf(await send(key, true)), 'same key, other input').toBe('IDEMPOTENCY_CONFLICT');
    tally('IDEMPOTENCY_CONFLICT');
  }
  return first;
}

/** Commands run (not just generated), by name; outcomes and movements booked, by code and type. */
const executed = new Map<string, number>();
const seen = new Map<string, number>();
const tally = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
const counted = new WeakMap<LedgerModel, number>();

async function verify(m: LedgerModel, r: Real, cmd: Cmd): Promise<void> {
  const name = cmd.toString().replace(/\(.*$/, '');
  executed.set(name, (executed.get(name) ?? 0) + 1);
  const now = nowMs;
  const view = m.view(now);
  const state = await t.ok(ModelStateDocument, { customerId: r.customerId, currency });

  if (!view.ledgerExists) {
    expect(state.creditBalances, 'no ledger yet: no balance').toEqual([]);
  } else {
    expect(state.creditBalances, 'balances').toEqual([
      { settled: money(view.settled), pending: money(view.pending), upcoming: money(view.upcoming) },
    ]);
  }

  expect(state.creditGrants.pageInfo.hasNextPage).toBe(false);
  const grants = new Map(state.creditGrants.edges.map((e) => [e.node.id, e.node]));
  expect(grants.size, 'grant count').toBe(m.s.grants.length);
  for (const g of m.s.grants) {
    const got = grants.get(g.id);
    const want = view.grants.get(g.id)!;
    expect(
      { remaining: got?.remaining, status: got?.status, paymentStatus: got?.paymentStatus ?? null },
      `grant ${g.id} (${g.method})`,
    ).toEqual({ remaining: money(want.remaining), status: want.status, paymentStatus: g.payment });
    if (g.invoice) {
      expect(got?.invoice, `invoice of grant ${g.id}`).toEqual({
        id: g.invoice.id,
        status: g.invoice.status,
        paymentStatus: g.invoice.payment,
        total: money(g.invoice.total),
      });
    }
  }

  expect(state.creditTransactions.pageInfo.hasNextPage).toBe(false);
  const moves = state.creditTransactions.edges.map((e) => e.node).reverse();
  expect(
    moves.map((x) => `${x.type} ${x.amount}`),
    'movements',
  ).toEqual(m.s.movements.map((x) => `${x.type} ${money(x.amount)}`));
  for (const x of m.s.movements.slice(counted.get(m) ?? 0)) tally(x.type);
  counted.set(m, m.s.movements.length);
  m.s.movements.forEach((want, i) => {
    const got = moves[i]!;
    expect(got.sequence).toBe(i + 1);
    if (want.id) expect(got.id).toBe(want.id);
    want.id = got.id;
    expect(
      {
        bookedAt: got.bookedAt,
        grant: got.grant?.id ?? null,
        allocations: got.allocations.map((a) => [a.grant?.id ?? null, a.amount]),
      },
      `movement #${i + 1} ${want.type}`,
    ).toEqual({
      bookedAt: iso(want.bookedAt),
      grant: want.grantId,
      allocations: want.allocations.map((a) => [a.grantId, money(a.amount)]),
    });
  });

  const charges = state.charges.edges.map((e) => e.node);
  expect(charges.length, 'one open charge per plan used').toBe(m.s.charges.length);
  let invoicedCents = 0;
  for (const c of m.s.charges) {
    const got = charges.find((x) => x.settlementMode === c.mode);
    expect(
      got && {
        quantity: got.quantity,
        amount: got.amount,
        creditedAmount: got.creditedAmount,
        invoicedAmount: got.invoicedAmount,
      },
      `${c.mode} charge`,
    ).toEqual({
      quantity: String(c.quantity),
      amount: money(halfEvenCents(c.quantity * c.unitMilli)),
      creditedAmount: money(c.credited),
      invoicedAmount: money(c.invoiced),
    });
    invoicedCents += c.invoiced;
  }
  // what credits did not pay is on the draft usage invoice, in USD at the currency's fiat value
  const usage = state.invoices.edges.filter((e) => e.node.kind === 'USAGE').map((e) => e.node);
  const usageTotal = usage.reduce((s, i) => s + Math.round(Number(i.total) * 100), 0);
  expect(usageTotal, 'usage invoice totals (cents)').toBe(invoicedCents * FIAT_VALUE);

  await checkLedgerInvariants([r.customerId]);
}

type Cmd = fc.AsyncCommand<LedgerModel, Real>;

class GrantCmd implements Cmd {
  constructor(
    readonly p: {
      method: FundingMethod;
      cents: number;
      priority: number;
      effectiveInMin: number;
      expiresAfterMin: number | null;
      costMilli: number;
      terms: boolean;
      restrictedTo: Mode | null;
    },
    readonly retry: Retry = 'none',
  ) {}
  check = () => true;
  async run(m: LedgerModel, r: Real) {
    const now = tick();
    const p = this.p;
    const effectiveAt = now + p.effectiveInMin * 60_000;
    const expiresAt = p.expiresAfterMin === null ? null : effectiveAt + p.expiresAfterMin * 60_000;
    const terms = p.method === 'INVOICE' || (p.method === 'EXTERNAL' && p.terms);
    const perUnitCost = terms ? p.costMilli / 1000 : 0;
    const send = (idempotencyKey: string, changed: boolean) =>
      t.gql(CreateCreditGrantDocument, {
        input: {
          idempotencyKey,
          customerId: r.customerId,
          currency,
          amount: money(p.cents + (changed ? 1 : 0)),
          fundingMethod: p.method,
          priority: p.priority,
          effectiveAt: p.effectiveInMin > 0 ? iso(effectiveAt) : undefined,
          expiresAt: expiresAt === null ? undefined : iso(expiresAt),
          purchase: terms ? { currency: 'USD', perUnitCost: String(perUnitCost) } : undefined,
          featureKeys: p.restrictedTo ? [featureKeyOf[p.restrictedTo]] : undefined,
        },
      });
    const res = await sendKeyed(this.retry, send, (d) => d.createCreditGrant.id);
    expectOutcome(res, { ok: true }, this.toString());
    const g = res.data!.createCreditGrant;
    m.createGrant(now, {
      id: g.id,
      method: p.method,
      amount: p.cents,
      priority: p.priority,
      effectiveAt,
      expiresAt,
      perUnitCost,
      restrictedTo: p.restrictedTo,
      payment: p.method === 'PROMOTIONAL' ? null : 'PENDING',
      invoice:
        p.method === 'INVOICE'
          ? {
              id: g.invoice!.id,
              status: 'ISSUED',
              payment: 'PENDING',
              total: halfEvenCents(p.cents * p.costMilli),
            }
          : null,
    });
    await verify(m, r, this);
  }
  toString() {
    const p = this.p;
    return `grant(${p.method} ${money(p.cents)} p${p.priority}${p.effectiveInMin ? ` eff+${p.effectiveInMin}m` : ''}${
      p.expiresAfterMin !== null ? ` exp+${p.expiresAfterMin}m` : ''
    }${p.method === 'INVOICE' || (p.method === 'EXTERNAL' && p.terms) ? ` @${p.costMilli / 1000}` : ''}${
      p.restrictedTo ? ` only ${p.restrictedTo}` : ''
    }${retryNote(this.retry)})`;
  }
}

class AdjustCmd implements Cmd {
  constructor(
    readonly cents: number,
    readonly retry: Retry = 'none',
  ) {}
  check = () => true;
  async run(m: LedgerModel, r: Real) {
    const now = tick();
    const send = (idempotencyKey: string, changed: boolean) =>
      t.gql(AdjustCreditsDocument, {
        input: {
          idempotencyKey,
          customerId: r.customerId,
          currency,
          amount: money(this.cents + (changed ? Math.sign(this.cents) : 0)),
          reason: 'model',
        },
      });
    const movementId = (d: { adjustCredits: { id: string } }) => d.adjustCredits.id;
    if (this.cents > 0) {
      const res = await sendKeyed(this.retry, send, movementId);
      expectOutcome(res, { ok: true }, this.toString());
      m.adjustAdd(now, res.data!.adjustCredits.grant!.id, this.cents);
    } else {
      const expected = m.deduct(now, -this.cents);
      expectOutcome(await sendKeyed(this.retry, send, movementId), expected, this.toString());
    }
    await verify(m, r, this);
  }
  toString() {
    return `adjust(${this.cents > 0 ? '+' : ''}${money(this.cents)}${retryNote(this.retry)})`;
  }
}

/** Picks one of the model's grants that `filter` accepts, by a generated number. */
function pickGrant(m: LedgerModel, pick: number, filter: (method: FundingMethod) => boolean) {
  const candidates = m.s.grants.filter((g) => filter(g.method));
  return candidates[pick % candidates.length]!;
}

class VoidCmd implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<LedgerModel>) => m.s.grants.length > 0;
  async run(m: LedgerModel, r: Real) {
    const now = tick();
    const g = pickGrant(m, this.pick, () => true);
    const expected = m.voidGrant(now, g.id);
    expectOutcome(
      await t.gql(VoidCreditGrantDocument, { grantId: g.id, reason: 'model' }),
      expected,
      this.toString(),
    );
    await verify(m, r, this);
  }
  toString() {
    return `void(#${this.pick})`;
  }
}

class PayInvoiceCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly status: PaymentStatus,
  ) {}
  check = (m: Readonly<LedgerModel>) => m.s.grants.some((g) => g.method === 'INVOICE');
  async run(m: LedgerModel, r: Real) {
    const now = tick();
    const g = pickGrant(m, this.pick, (x) => x === 'INVOICE');
    const invoiceId = g.invoice!.id;
    const expected = m.invoicePayment(now, g.id, this.status);
    expectOutcome(
      await t.gql(UpdateInvoicePaymentStatusDocument, { invoiceId, status: this.status }),
      expected,
      this.toString(),
    );
    await verify(m, r, this);
  }
  toString() {
    return `invoicePayment(#${this.pick} ${this.status})`;
  }
}

class ExternalCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly status: PaymentStatus,
  ) {}
  check = (m: Readonly<LedgerModel>) => m.s.grants.some((g) => g.method === 'EXTERNAL');
  async run(m: LedgerModel, r: Real) {
    const now = tick();
    const g = pickGrant(m, this.pick, (x) => x === 'EXTERNAL');
    const expected = m.externalSettlement(now, g.id, this.status);
    expectOutcome(
      await t.gql(UpdateExternalSettlementDocument, { grantId: g.id, status: this.status }),
      expected,
      this.toString(),
    );
    await verify(m, r, this);
  }
  toString() {
    return `externalSettlement(#${this.pick} ${this.status})`;
  }
}

class AdvanceCmd implements Cmd {
  constructor(readonly minutes: number) {}
  check = () => true;
  async run(m: LedgerModel, r: Real) {
    nowMs += this.minutes * 60_000;
    await verify(m, r, this);
  }
  toString() {
    return `advance(${this.minutes}m)`;
  }
}

let eventCounter = 0;
class IngestCmd implements Cmd {
  constructor(
    readonly mode: Mode,
    readonly events: number,
    readonly resend: boolean,
  ) {}
  check = () => true;
  async run(m: LedgerModel, r: Real) {
    tick();
    const previous = r.lastBatch[this.mode];
    if (this.resend && previous) {
      // the same ids with the same content are duplicates: nothing changes
      const res = await t.ok(IngestUsageDocument, { events: previous });
      expect(res.ingestUsage, this.toString()).toEqual({
        accepted: 0,
        duplicates: previous.length,
        rejected: [],
      });
    } else {
      const events = Array.from({ length: this.events }, () => ({
        id: `model-${process.pid}-${++eventCounter}`,
        subject: r.subject,
        type: eventType[this.mode],
      }));
      const res = await t.ok(IngestUsageDocument, { events });
      expect(res.ingestUsage, this.toString()).toEqual({
        accepted: events.length,
        duplicates: 0,
        rejected: [],
      });
      r.lastBatch[this.mode] = events;
      m.ingest(this.mode, unitMilli[this.mode], events.length);
    }
    await verify(m, r, this);
  }
  toString() {
    return `ingest(${this.mode} ${this.events}${this.resend ? ' or the last batch again' : ''})`;
  }
}

class SettleCmd implements Cmd {
  check = () => true;
  async run(m: LedgerModel, r: Real) {
    const now = tick();
    const before = m.s.movements.length;
    m.settle(now);
    const res = await t.ok(SettleChargesDocument, { customerId: r.customerId });
    expect(res.settleCharges.settledCharges, 'charges settled').toBe(
      m.s.movements.slice(before).filter((x) => x.type === 'CONSUMED').length,
    );
    await verify(m, r, this);
  }
  toString() {
    return 'settle';
  }
}

class CorrectCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly cents: number | null,
    readonly retry: Retry = 'none',
  ) {}
  check = (m: Readonly<LedgerModel>) => m.s.consumptions.length > 0;
  async run(m: LedgerModel, r: Real) {
    const now = tick();
    const index = this.pick % m.s.consumptions.length;
    const movementId = m.s.consumptions[index]!.movement.id!;
    const expected = m.correct(now, index, this.cents);
    const send = (idempotencyKey: string, changed: boolean) =>
      t.gql(CorrectMovementDocument, {
        input: {
          idempotencyKey,
          movementId,
          amount: this.cents === null ? undefined : money(this.cents),
          reason: changed ? 'model, again' : 'model',
        },
      });
    const res = await sendKeyed(this.retry, send, (d) => d.correctMovement.id);
    expectOutcome(res, expected, this.toString());
    await verify(m, r, this);
  }
  toString() {
    return `correct(#${this.pick} ${this.cents === null ? 'rest' : money(this.cents)}${retryNote(this.retry)})`;
  }
}

const status = fc.constantFrom<PaymentStatus>('SETTLED', 'SETTLED', 'FAILED', 'AUTHORIZED');
const retry = fc.constantFrom<Retry>('none', 'none', 'none', 'same', 'conflict');
const grantCmd = fc
  .tuple(
    fc.record({
      method: fc.constantFrom<FundingMethod>('PROMOTIONAL', 'INVOICE', 'EXTERNAL'),
      cents: fc.integer({ min: 100, max: 5_000 }),
      priority: fc.integer({ min: 1, max: 3 }),
      effectiveInMin: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 30 })),
      expiresAfterMin: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
      costMilli: fc.constantFrom(125, 500, 1000, 2000),
      terms: fc.boolean(),
      restrictedTo: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        fc.constantFrom<Mode>('CREDIT_ONLY', 'CREDIT_THEN_INVOICE'),
      ),
    }),
    retry,
  )
  .map(([p, r]) => new GrantCmd(p, r));
const adjustCmd = fc
  .tuple(
    fc.integer({ min: -3_000, max: 3_000 }).filter((c) => c !== 0),
    retry,
  )
  .map(([c, r]) => new AdjustCmd(c, r));
const voidCmd = fc.nat().map((p) => new VoidCmd(p));
const payCmd = fc.tuple(fc.nat(), status).map(([p, s]) => new PayInvoiceCmd(p, s));
const externalCmd = fc.tuple(fc.nat(), status).map(([p, s]) => new ExternalCmd(p, s));
const advanceCmd = fc.integer({ min: 1, max: 40 }).map((n) => new AdvanceCmd(n));
const ingestCmd = fc
  .tuple(
    fc.constantFrom<Mode>('CREDIT_ONLY', 'CREDIT_THEN_INVOICE'),
    fc.integer({ min: 1, max: 8 }),
    fc.integer({ min: 0, max: 4 }).map((x) => x === 0), // now and then, the last batch again
  )
  .map(([mode, n, resend]) => new IngestCmd(mode, n, resend));
const settleCmd = fc.constant(new SettleCmd());
const correctCmd = fc
  .tuple(fc.nat(), fc.option(fc.integer({ min: 1, max: 600 }), { nil: null, freq: 2 }), retry)
  .map(([p, c, r]) => new CorrectCmd(p, c, r));
/** Weighted by repetition: grants, usage, settlement, payments and corrections come more often. */
const commands = [
  grantCmd,
  grantCmd,
  grantCmd,
  adjustCmd,
  voidCmd,
  payCmd,
  payCmd,
  externalCmd,
  advanceCmd,
  advanceCmd,
  ingestCmd,
  ingestCmd,
  settleCmd,
  settleCmd,
  correctCmd,
  correctCmd,
];

/** Sequences that once found something (or that random runs reach rarely): run every time. */
const EXAMPLES: Cmd[][] = [
  // regression: debt from usage, then credit that becomes available while nothing is booked: a read must
  // show the debt repaid from the new grant (8.00 left, not 20.00), as the booking will
  [
    new IngestCmd('CREDIT_ONLY', 8, false),
    new SettleCmd(),
    new GrantCmd({
      method: 'EXTERNAL',
      cents: 2_000,
      priority: 1,
      effectiveInMin: 5,
      expiresAfterMin: null,
      costMilli: 1000,
      terms: false,
      restrictedTo: null,
    }),
    new AdvanceCmd(10),
    new SettleCmd(),
  ],
  // regression: debt from usage, then a grant whose whole effective window passes while nothing is booked:
  // it is funded at effectiveAt repaying the debt and expired at expiresAt (8.00), settled 0.00, as punctual
  // jobs would have booked it (the server once never funded it and the debt stayed)
  [
    new IngestCmd('CREDIT_ONLY', 8, false),
    new SettleCmd(),
    new GrantCmd({
      method: 'PROMOTIONAL',
      cents: 2_000,
      priority: 1,
      effectiveInMin: 5,
      expiresAfterMin: 5,
      costMilli: 1000,
      terms: false,
      restrictedTo: null,
    }),
    new AdvanceCmd(7),
    new AdvanceCmd(10),
    new AdjustCmd(100),
  ],
  // regression: debt beside credit: a grant only for the other plan does not pay CREDIT_ONLY usage, which
  // becomes debt; a deduction of what that grant holds is above the balance (4.00): INSUFFICIENT_CREDITS (the
  // server once checked only the grants and drove the balance to -6.00)
  [
    new GrantCmd({
      method: 'PROMOTIONAL',
      cents: 1_000,
      priority: 1,
      effectiveInMin: 0,
      expiresAfterMin: null,
      costMilli: 1000,
      terms: false,
      restrictedTo: 'CREDIT_THEN_INVOICE',
    }),
    new IngestCmd('CREDIT_ONLY', 4, false),
    new SettleCmd(),
    new AdjustCmd(-1_000),
  ],
  // regression: a 0.125 charge is booked as 0.12 (half-even); the next settle has nothing to book and must not
  // reopen the ledger (the candidate query once rounded half up to 0.13 and reopened it on every settle,
  // booking the due funding of the later grant there)
  [
    new GrantCmd({
      method: 'PROMOTIONAL',
      cents: 1_000,
      priority: 1,
      effectiveInMin: 0,
      expiresAfterMin: null,
      costMilli: 1000,
      terms: false,
      restrictedTo: null,
    }),
    new IngestCmd('CREDIT_THEN_INVOICE', 1, false),
    new SettleCmd(),
    new GrantCmd({
      method: 'PROMOTIONAL',
      cents: 500,
      priority: 1,
      effectiveInMin: 5,
      expiresAfterMin: null,
      costMilli: 1000,
      terms: false,
      restrictedTo: null,
    }),
    new AdvanceCmd(10),
    new SettleCmd(),
  ],
];

describe('API model', () => {
  it(
    'random command sequences through GraphQL keep every invariant and match the model after each command',
    async () => {
      console.log(
        `api model: seed=${SEED} runs=${RUNS} maxCommands=${MAX_COMMANDS}${PATH ? ` path=${PATH}` : ''} ` +
          '(replay: DRAWDOWN_MODEL_SEED=<seed> DRAWDOWN_MODEL_PATH=<path> DRAWDOWN_MODEL_REPLAY=<replayPath>)',
      );
      const started = Date.now();
      await fc.assert(
        fc.asyncProperty(
          fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max', replayPath: REPLAY }),
          async (cmds) => {
            await fc.asyncModelRun(setupRun, cmds);
          },
        ),
        {
          numRuns: RUNS,
          seed: SEED,
          path: PATH,
          verbose: env.DRAWDOWN_MODEL_VERBOSE ? 2 : 0,
          examples: EXAMPLES.map((e): [Cmd[]] => [e]),
        },
      );
      console.log(
        `api model: ${RUNS} runs in ${Date.now() - started} ms; commands run: ${[...executed]
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; outcomes and movements: ${[...seen].map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );
    },
    30 * 60_000,
  );
});
