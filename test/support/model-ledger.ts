/**
 * A small independent model of one customer's ledger in one currency (SPEC §5–§8), for the API model test.
 * Amounts are integer cents (the test currency has scale 2); rated usage is kept in thousandths of a cent
 * unit ("milli") so cumulative rounding can be modelled exactly. Times are epoch milliseconds.
 *
 * Due work (fundings at effectiveAt, expiries at expiresAt) is booked when a ledger transaction commits, as
 * the server does: `commitDue(now)` is called by the commands that commit one, and `view(now)` shows what a
 * read at `now` must show (due work applied to a copy, nothing committed).
 */

export type FundingMethod = 'PROMOTIONAL' | 'INVOICE' | 'EXTERNAL';
export type PaymentStatus = 'PENDING' | 'AUTHORIZED' | 'SETTLED' | 'FAILED';
export type GrantStatus = 'PENDING' | 'ACTIVE' | 'DEPLETED' | 'EXPIRED' | 'VOIDED';
export type Mode = 'CREDIT_ONLY' | 'CREDIT_THEN_INVOICE';
export type MovementType = 'FUNDED' | 'CONSUMED' | 'EXPIRED' | 'VOIDED' | 'ADJUSTED' | 'CORRECTED';

export interface MGrant {
  id: string;
  method: FundingMethod;
  adjustment: boolean;
  amount: number;
  /** What is on the ledger: 0 until funded. */
  remaining: number;
  priority: number;
  effectiveAt: number;
  expiresAt: number | null;
  perUnitCost: number;
  /** When set, the grant only pays this plan's charges (its feature); admin deductions draw it anyway. */
  restrictedTo: Mode | null;
  createdAt: number;
  funded: boolean;
  voided: boolean;
  expired: boolean;
  payment: PaymentStatus | null;
  invoice: { id: string; status: 'ISSUED' | 'PAID' | 'VOID'; payment: PaymentStatus; total: number } | null;
}

export interface MAllocation {
  grantId: string | null;
  amount: number;
}

export interface MMovement {
  type: MovementType;
  amount: number;
  bookedAt: number;
  grantId: string | null;
  allocations: MAllocation[];
  /** The server's id, learnt when the movement is first read back. */
  id?: string;
}

export interface MConsumption {
  movement: MMovement;
  /** Given back so far (the requested amounts of its corrections). */
  corrected: number;
}

export interface MCharge {
  mode: Mode;
  quantity: number;
  /** Price of one event in milli-cents (1.50 = 150_000? no: thousandths of a cent: 1.50 = 150 cents = 150_000 milli). */
  unitMilli: number;
  booked: number;
  credited: number;
  invoiced: number;
  id?: string;
}

export interface ModelState {
  debt: number;
  settled: number;
  ledgerExists: boolean;
  grants: MGrant[];
  movements: MMovement[];
  consumptions: MConsumption[];
  charges: MCharge[];
}

export type Outcome = { ok: true } | { ok: false; code: string };
const OK: Outcome = { ok: true };
const fail = (code: string): Outcome => ({ ok: false, code });

/** Rounds milli-cents (thousandths of a cent) to cents, HALF_EVEN, as the engine does. */
export function halfEvenCents(milli: number): number {
  const q = Math.floor(milli / 1000);
  const r = milli - q * 1000;
  if (r > 500) return q + 1;
  if (r < 500) return q;
  return q % 2 === 0 ? q : q + 1;
}

export function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SPEC §5 draw-down order. */
export function compareDrawdown(a: MGrant, b: MGrant): number {
  return (
    a.priority - b.priority ||
    (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) ||
    a.perUnitCost - b.perUnitCost ||
    a.effectiveAt - b.effectiveAt ||
    a.createdAt - b.createdAt ||
    codeUnitCompare(a.id, b.id)
  );
}

export class LedgerModel {
  s: ModelState = {
    debt: 0,
    settled: 0,
    ledgerExists: false,
    grants: [],
    movements: [],
    consumptions: [],
    charges: [],
  };

  grant(id: string): MGrant {
    const g = this.s.grants.find((x) => x.id === id);
    if (!g) throw new Error(`model: no grant ${id}`);
    return g;
  }

  // ---- booking primitives ---------------------------------------------------------------

  private book(m: MMovement): MMovement {
    for (const a of m.allocations) {
      if (a.grantId === null) this.s.debt -= a.amount;
      else this.grant(a.grantId).remaining += a.amount;
    }
    this.s.settled += m.amount;
    m.allocations = m.allocations.filter((a) => a.amount !== 0);
    this.s.movements.push(m);
    return m;
  }

  private fund(g: MGrant, at: number): void {
    const repaid = Math.min(this.s.debt, g.amount);
    const allocations: MAllocation[] = [];
    if (g.amount > repaid) allocations.push({ grantId: g.id, amount: g.amount - repaid });
    if (repaid > 0) allocations.push({ grantId: null, amount: repaid });
    g.funded = true;
    this.book({
      type: g.adjustment ? 'ADJUSTED' : 'FUNDED',
      amount: g.amount,
      bookedAt: at,
      grantId: g.id,
      allocations,
    });
  }

  private expire(g: MGrant): void {
    g.expired = true;
    if (g.remaining === 0) return;
    this.book({
      type: 'EXPIRED',
      amount: -g.remaining,
      bookedAt: g.expiresAt!,
      grantId: g.id,
      allocations: [{ grantId: g.id, amount: -g.remaining }],
    });
  }

  private void(g: MGrant, at: number): void {
    g.voided = true;
    if (!g.funded || g.remaining === 0) return;
    this.book({
      type: 'VOIDED',
      amount: -g.remaining,
      bookedAt: at,
      grantId: g.id,
      allocations: [{ grantId: g.id, amount: -g.remaining }],
    });
  }

  private fundable(g: MGrant, now: number): boolean {
    return (
      !g.funded &&
      !g.voided &&
      g.effectiveAt <= now &&
      (g.expiresAt === null || g.expiresAt > now) &&
      (g.method !== 'INVOICE' || g.payment === 'SETTLED')
    );
  }

  /**
   * Books what is due at `now`, in time order: fundings at effectiveAt (repaying debt first), expiries at
   * expiresAt. A grant whose whole effective window passed while nothing was booked is funded at effectiveAt
   * and expired at expiresAt, as punctual ledger_due jobs would have booked it; a grant that was never
   * fundable (an unpaid invoice) expires without touching the ledger.
   */
  commitDue(now: number): void {
    this.s.ledgerExists = true;
    const events: { at: number; kind: 0 | 1; g: MGrant }[] = [];
    for (const g of this.s.grants) {
      if (g.voided || g.expired) continue;
      if (!g.funded && g.effectiveAt <= now && (g.method !== 'INVOICE' || g.payment === 'SETTLED')) {
        events.push({ at: g.effectiveAt, kind: 0, g });
        if (g.expiresAt !== null && g.expiresAt <= now) events.push({ at: g.expiresAt, kind: 1, g });
        continue;
      }
      if (g.expiresAt !== null && g.expiresAt <= now) {
        if (g.funded) events.push({ at: g.expiresAt, kind: 1, g });
        else g.expired = true;
      }
    }
    events.sort((a, b) => a.at - b.at || a.kind - b.kind || codeUnitCompare(a.g.id, b.g.id));
    for (const e of events) {
      if (e.kind === 0) this.fund(e.g, e.at);
      else this.expire(e.g);
    }
  }

  /** Grants that may pay now, in draw-down order; `for` is the charge's plan, or 'any' for a deduction. */
  private usable(now: number, payFor: Mode | 'any'): MGrant[] {
    return this.s.grants
      .filter(
        (g) =>
          (payFor === 'any' || g.restrictedTo === null || g.restrictedTo === payFor) &&
          g.funded &&
          !g.voided &&
          !g.expired &&
          g.remaining > 0 &&
          g.effectiveAt <= now &&
          (g.expiresAt === null || now < g.expiresAt),
      )
      .sort(compareDrawdown);
  }

  private allocate(
    amount: number,
    now: number,
    payFor: Mode | 'any',
  ): { allocations: MAllocation[]; uncovered: number } {
    const allocations: MAllocation[] = [];
    let left = amount;
    for (const g of this.usable(now, payFor)) {
      if (left === 0) break;
      const take = Math.min(left, g.remaining);
      allocations.push({ grantId: g.id, amount: take });
      left -= take;
    }
    return { allocations, uncovered: left };
  }

  // ---- commands ------------------------------------------------------------------------

  createGrant(
    now: number,
    g: Omit<MGrant, 'remaining' | 'funded' | 'voided' | 'expired' | 'createdAt' | 'adjustment'>,
  ): void {
    this.commitDue(now);
    const grant: MGrant = {
      ...g,
      adjustment: false,
      remaining: 0,
      createdAt: now,
      funded: false,
      voided: false,
      expired: false,
    };
    this.s.grants.push(grant);
    if (g.method !== 'INVOICE' && g.effectiveAt <= now) this.fund(grant, now);
  }

  adjustAdd(now: number, id: string, cents: number): void {
    this.commitDue(now);
    const g: MGrant = {
      id,
      method: 'PROMOTIONAL',
      adjustment: true,
      amount: cents,
      remaining: 0,
      priority: 10,
      effectiveAt: now,
      expiresAt: null,
      perUnitCost: 0,
      restrictedTo: null,
      createdAt: now,
      funded: false,
      voided: false,
      expired: false,
      payment: null,
      invoice: null,
    };
    this.s.grants.push(g);
    this.fund(g, now);
  }

  /** An admin deduction: usable grants in draw-down order; all or nothing. */
  deduct(now: number, cents: number): Outcome {
    const copy = this.copy();
    copy.commitDue(now);
    const { allocations, uncovered } = copy.allocate(cents, now, 'any');
    if (uncovered > 0) return fail('INSUFFICIENT_CREDITS');
    // SPEC §6: never above the available balance, which outstanding debt lowers (debt beside credit on a
    // grant restricted to another feature, or on a grant a correction gave back to)
    if (cents > copy.s.settled) return fail('INSUFFICIENT_CREDITS');
    this.s = copy.s;
    this.book({
      type: 'ADJUSTED',
      amount: -cents,
      bookedAt: now,
      grantId: null,
      allocations: allocations.map((a) => ({ grantId: a.grantId, amount: -a.amount })),
    });
    return OK;
  }

  voidGrant(now: number, id: string): Outcome {
    const before = this.grant(id);
    if (before.voided) {
      this.commitDue(now); // succeeds unchanged (the transaction still books what was due)
      return OK;
    }
    const copy = this.copy();
    copy.commitDue(now);
    const g = copy.grant(id);
    if (g.expired) return fail('INVALID_STATE');
    if (g.funded && g.remaining === 0) return fail('INVALID_STATE');
    copy.void(g, now);
    if (g.invoice && g.invoice.status === 'ISSUED' && g.invoice.payment !== 'SETTLED')
      g.invoice.status = 'VOID';
    this.s = copy.s;
    return OK;
  }

  /** updateInvoicePaymentStatus on an INVOICE grant's credit-purchase invoice (SPEC §5, §9). */
  invoicePayment(now: number, id: string, to: PaymentStatus): Outcome {
    const before = this.grant(id);
    const inv = before.invoice!;
    if (inv.payment === to) return OK; // no change, nothing committed
    if (inv.status !== 'ISSUED') return fail('INVALID_STATE');
    if (!transitionAllowed(inv.payment, to)) return fail('INVALID_STATE');
    const inTx = !before.voided && !before.expired;
    this.commitDue(now);
    const g = this.grant(id);
    const invoice = g.invoice!;
    invoice.payment = to;
    if (to === 'SETTLED') invoice.status = 'PAID';
    if (to === 'FAILED') invoice.status = 'VOID';
    g.payment = to;
    if (inTx) {
      if (to === 'SETTLED' && this.fundable(g, now)) this.fund(g, now);
      if (to === 'FAILED') this.void(g, now);
    }
    return OK;
  }

  /** updateExternalSettlement on an EXTERNAL grant: FAILED voids the unused remainder. */
  externalSettlement(now: number, id: string, to: PaymentStatus): Outcome {
    const before = this.grant(id);
    const from = before.payment ?? 'PENDING';
    if (from !== to && !transitionAllowed(from, to)) return fail('INVALID_STATE');
    const inTx = !before.voided && !before.expired;
    this.commitDue(now);
    if (from === to) return OK;
    const g = this.grant(id);
    g.payment = to;
    if (inTx && to === 'FAILED') this.void(g, now);
    return OK;
  }

  ingest(mode: Mode, unitMilli: number, events: number): void {
    let c = this.s.charges.find((x) => x.mode === mode);
    if (!c) {
      c = { mode, quantity: 0, unitMilli, booked: 0, credited: 0, invoiced: 0 };
      this.s.charges.push(c);
    }
    c.quantity += events;
  }

  /** settleCharges(customerId): one CONSUMED per charge with credit taken, charges in creation order. */
  settle(now: number): void {
    // the server only opens the ledger when some open charge rounds (half-even, as the engine books it) to
    // other than what is booked: a charge whose rounded total is booked does not reopen it
    if (!this.s.charges.some((c) => halfEvenCents(c.quantity * c.unitMilli) !== c.booked)) return;
    this.commitDue(now);
    for (const c of this.s.charges) {
      const step = halfEvenCents(c.quantity * c.unitMilli) - c.booked;
      if (step <= 0) continue;
      c.booked += step;
      let credited: number;
      let allocations: MAllocation[];
      if (c.mode === 'CREDIT_ONLY') {
        const r = this.allocate(step, now, c.mode);
        allocations = r.allocations;
        if (r.uncovered > 0) allocations.push({ grantId: null, amount: r.uncovered });
        credited = step;
      } else {
        const creditable = Math.min(step, Math.max(this.s.settled, 0));
        allocations = this.allocate(creditable, now, c.mode).allocations;
        credited = allocations.reduce((s, a) => s + a.amount, 0);
        c.invoiced += step - credited;
      }
      c.credited += credited;
      if (credited > 0) {
        const m = this.book({
          type: 'CONSUMED',
          amount: -credited,
          bookedAt: now,
          grantId: null,
          allocations: allocations.map((a) => ({ grantId: a.grantId, amount: -a.amount })),
        });
        this.s.consumptions.push({ movement: m, corrected: 0 });
      }
    }
  }

  /** correctMovement: gives back in reverse take order; expired/voided grants' portions are not restored. */
  correct(now: number, index: number, requested: number | null): Outcome {
    const copy = this.copy();
    copy.commitDue(now);
    const c = copy.s.consumptions[index]!;
    const taken = c.movement.allocations.map((a) => ({ grantId: a.grantId, amount: -a.amount }));
    const total = taken.reduce((s, a) => s + a.amount, 0);
    const amount = requested ?? total - c.corrected;
    if (amount <= 0) return fail('INVALID_STATE');
    if (amount > total - c.corrected) return fail('BAD_USER_INPUT');
    const restores: MAllocation[] = [];
    const debtGiven: MAllocation[] = [];
    let skip = c.corrected;
    let left = amount;
    let debt = copy.s.debt;
    for (let i = taken.length - 1; i >= 0 && left > 0; i--) {
      let portion = taken[i]!.amount;
      const skipped = Math.min(skip, portion);
      skip -= skipped;
      portion -= skipped;
      if (portion === 0) continue;
      const give = Math.min(left, portion);
      left -= give;
      const grantId = taken[i]!.grantId;
      if (grantId === null) {
        const d = Math.min(give, debt);
        if (d > 0) debtGiven.push({ grantId: null, amount: d });
        debt -= d;
      } else {
        const g = copy.grant(grantId);
        if (!g.voided && !g.expired) restores.push({ grantId, amount: give });
      }
    }
    const allocations = [...restores, ...debtGiven];
    const sum = allocations.reduce((s, a) => s + a.amount, 0);
    if (sum === 0) return fail('INVALID_STATE');
    c.corrected += amount;
    copy.book({ type: 'CORRECTED', amount: sum, bookedAt: now, grantId: null, allocations });
    this.s = copy.s;
    return OK;
  }

  // ---- what reads must show ---------------------------------------------------------------

  /** A deep copy (movements shared by reference with consumptions stay linked). */
  copy(): LedgerModel {
    const m = new LedgerModel();
    m.s = structuredClone(this.s);
    return m;
  }

  /** SPEC §7 balances and each grant as a read at `now` must show them. */
  view(now: number): {
    ledgerExists: boolean;
    settled: number;
    pending: number;
    upcoming: number;
    grants: Map<string, { remaining: number; status: GrantStatus }>;
  } {
    const v = this.copy();
    const exists = this.s.ledgerExists;
    v.commitDue(now);
    const grants = new Map<string, { remaining: number; status: GrantStatus }>();
    let upcoming = 0;
    for (const g of v.s.grants) {
      let status: GrantStatus;
      let remaining: number;
      if (g.voided) [status, remaining] = ['VOIDED', 0];
      else if (g.expired || (g.expiresAt !== null && g.expiresAt <= now))
        [status, remaining] = ['EXPIRED', 0];
      else if (!g.funded) {
        [status, remaining] = ['PENDING', g.amount];
        upcoming += g.amount;
      } else [status, remaining] = [g.remaining === 0 ? 'DEPLETED' : 'ACTIVE', g.remaining];
      grants.set(g.id, { remaining, status });
    }
    const settled = v.s.settled;
    let creditOnly = 0;
    let thenInvoice = 0;
    for (const c of v.s.charges) {
      const unbooked = halfEvenCents(c.quantity * c.unitMilli) - c.booked;
      if (unbooked <= 0) continue;
      if (c.mode === 'CREDIT_ONLY') creditOnly += unbooked;
      else thenInvoice += unbooked;
    }
    const afterCo = settled - creditOnly;
    const pending = afterCo < 0 ? afterCo : Math.max(afterCo - thenInvoice, 0);
    return { ledgerExists: exists, settled, pending, upcoming, grants };
  }
}

/** SPEC §9: PENDING → AUTHORIZED → SETTLED, or FAILED from PENDING/AUTHORIZED; SETTLED and FAILED are final. */
export function transitionAllowed(from: PaymentStatus, to: PaymentStatus): boolean {
  const next: Record<PaymentStatus, PaymentStatus[]> = {
    PENDING: ['AUTHORIZED', 'SETTLED', 'FAILED'],
    AUTHORIZED: ['SETTLED', 'FAILED'],
    SETTLED: [],
    FAILED: [],
  };
  return next[from].includes(to);
}
