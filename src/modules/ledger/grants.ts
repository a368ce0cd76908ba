import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, isIdOf } from '../../core/ids';
import { fault } from '../../core/fault';
import { enqueueJob } from '../../db/jobs';
import { isFundable } from '../../engine';
import { Dec, formatDecimal, parseDecimal, roundToScale } from '../../money';
import { FeatureEntity, currencyAndAmount, currencyOfCode, isFiatCode, fiatScale } from '../catalog';
import { customerExists } from '../customers';
import {
  type InvoicesService,
  checkPaymentTransition,
  type InvoiceEntity,
  type PaymentStatus,
} from '../invoices';
import { inTransaction } from '../shared/tx';
import { LedgerTx, newGrantState } from './booking';
import { movementView, type MovementView } from './rows';
import { GrantEntity, type FundingMethod, type GrantOrigin } from './entities';
import { onceOnly } from './program-grants';
import { runOnLedger, runOnLedgerGrouped } from './runner';
import { insertGrant, setPaymentStatus, type GrantExtras } from './grant-store';
import type { GrantState } from './store';

export const DUE_TASK = 'ledger_due';

export interface CreateGrantInput {
  customerId: string;
  currency: string;
  amount: string;
  fundingMethod: FundingMethod;
  name?: string | null;
  priority?: number | null;
  effectiveAt?: Date | null;
  expiresAt?: Date | null;
  purchase?: { currency: string; perUnitCost: string } | null;
  featureKeys?: string[] | null;
  idempotencyKey?: string | null;
  /** Where the grant came from (SPEC §14); MANUAL when omitted. Only MANUAL grants must expire in the future. */
  origin?: GrantOrigin;
  /** The subscription that caused it. */
  subscriptionId?: string | null;
  /** A ROLLOVER grant's source grant: a grant rolls over once, a second create answers the first rollover. */
  rolledFromId?: string | null;
  /** An ALLOCATION grant's `<subscriptionId>:<allocationId>:<periodStart ISO>`: a second create answers the first. */
  allocationKey?: string | null;
  autoTopUpRuleId?: string | null;
  /** A grant funded at creation books FUNDED at this instant (default now): a late allocation, at its period start. */
  fundedAt?: Date | null;
}

/** How a grant is created: in the caller's transaction (`em`), under which idempotency scope. */
export interface CreateGrantOptions {
  /** A transaction the caller opened (`inTransaction`): the grant is created in it. */
  em?: EntityManager;
  /** Idempotency scope prefix (default `createCreditGrant`); the customer id is appended. */
  scope?: string;
}

export interface AdjustCreditsInput {
  customerId: string;
  currency: string;
  amount: string;
  reason: string;
  idempotencyKey?: string | null;
}

/**
 * The ledger's write use cases: grants and their funding lifecycles (SPEC §5, §6, §9 credit purchases) and
 * admin adjustments. Each runs on a locked ledger through the runner (or `onGrantLedger`): the ledger row
 * lock first, then the idempotency key, then what is due, then the use case; jobs for future due work are
 * enqueued in the same transaction.
 */
export class GrantWrites {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly invoices: InvoicesService,
  ) {}

  /** The customer's id once it is known to exist (customers are never deleted: kept for the process). */
  private async customer(id: string): Promise<{ id: string }> {
    if (!(await customerExists(this.em, id))) throw DomainError.notFound('Customer', id);
    return { id };
  }

  /** Schedules the due-work job at each future instant this grant changes state. */
  private async scheduleDue(
    em: EntityManager,
    ledgerId: string,
    g: { id: string; effectiveAt: Date; expiresAt: Date | null },
    now: Date,
  ) {
    if (g.effectiveAt > now) {
      await enqueueJob(em, DUE_TASK, { ledgerId }, { runAt: g.effectiveAt, jobKey: `due:${g.id}:fund` });
    }
    if (g.expiresAt) {
      await enqueueJob(em, DUE_TASK, { ledgerId }, { runAt: g.expiresAt, jobKey: `due:${g.id}:expire` });
    }
  }

  private async insertGrant(em: EntityManager, tx: LedgerTx, g: GrantState, extra: GrantExtras) {
    await insertGrant(em, tx, g, extra);
    tx.track(g);
  }

  // ---- grants -----------------------------------------------------------------------------

  async createGrant(input: CreateGrantInput): Promise<GrantEntity> {
    return this.requireGrant(await this.createGrantId(input));
  }

  /** Creates a grant (validated as `createCreditGrant` is) and answers its id; see `CreateGrantOptions`. */
  async createGrantId(input: CreateGrantInput, opts: CreateGrantOptions = {}): Promise<string> {
    const now = this.clock.now();
    const problems = new Problems();
    const customer = await this.customer(input.customerId);
    const { currency, amount } = await currencyAndAmount(this.em, problems, input.currency, input.amount);
    const priority = input.priority ?? 10;
    if (!Number.isInteger(priority) || priority < 1 || priority > 1000)
      problems.add('priority', 'must be an integer from 1 to 1000');
    const effectiveAt = input.effectiveAt ?? now;
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt && expiresAt <= effectiveAt) problems.add('expiresAt', 'must be after effectiveAt');
    const origin = input.origin ?? 'MANUAL';
    if (expiresAt && expiresAt <= now && origin === 'MANUAL')
      problems.add('expiresAt', 'must be in the future');
    if (input.name != null && input.name.length > 200) problems.add('name', 'must be at most 200 characters');
    let perUnitCost = new Dec(0);
    let purchaseTotal: string | null = null;
    if (input.fundingMethod === 'INVOICE' && !input.purchase)
      problems.add('purchase', 'INVOICE grants need purchase terms');
    if (input.fundingMethod === 'PROMOTIONAL' && input.purchase)
      problems.add('purchase', 'PROMOTIONAL grants are free: no purchase terms');
    if (input.purchase) {
      if (!isFiatCode(input.purchase.currency))
        problems.add('purchase.currency', `${input.purchase.currency} is not a fiat currency`);
      const cost = problems.check('purchase.perUnitCost', () =>
        parseDecimal(input.purchase!.perUnitCost, {
          scale: 12,
          positive: true,
          field: 'purchase.perUnitCost',
        }),
      );
      if (cost) {
        perUnitCost = cost;
        if (amount && isFiatCode(input.purchase.currency)) {
          purchaseTotal = formatDecimal(
            roundToScale(amount.times(cost), fiatScale(input.purchase.currency)),
            fiatScale(input.purchase.currency),
          );
          // an invoice for nothing would fund the grant on a payment of 0.00
          if (input.fundingMethod === 'INVOICE' && new Dec(purchaseTotal).isZero())
            problems.add('purchase.perUnitCost', `amount × perUnitCost rounds to ${purchaseTotal}`);
        }
      }
    }
    const featureKeys =
      input.featureKeys && input.featureKeys.length > 0 ? [...new Set(input.featureKeys)] : null;
    if (featureKeys) {
      const found = await this.em.find(FeatureEntity, { key: { $in: featureKeys } });
      const known = new Set(found.map((f) => f.key));
      featureKeys.forEach((k, i) => {
        if (!known.has(k)) problems.add(`featureKeys[${i}]`, `unknown feature ${k}`);
      });
    }
    problems.throwIfAny();

    return runOnLedger(
      opts.em ?? this.em,
      { customerId: customer.id, currencyId: currency!.id },
      now,
      {
        scope: `${opts.scope ?? 'createCreditGrant'}:${customer.id}`,
        key: input.idempotencyKey,
        input: { ...input, idempotencyKey: undefined },
      },
      async (tx, em) => {
        const existing = await onceOnly(em, input);
        if (existing) return existing;
        const g = newGrantState({
          fundingMethod: input.fundingMethod,
          source: 'GRANT',
          amount: amount!,
          priority,
          effectiveAt,
          expiresAt,
          perUnitCost,
          paymentStatus: input.fundingMethod === 'PROMOTIONAL' ? null : 'PENDING',
          featureKeys,
          createdAt: now,
        });
        let invoice: InvoiceEntity | null = null;
        if (input.fundingMethod === 'INVOICE') {
          const scale = fiatScale(input.purchase!.currency);
          invoice = await this.invoices.create(em, {
            customerId: customer.id,
            currency: input.purchase!.currency,
            kind: 'CREDIT_PURCHASE',
            lines: [
              {
                description: `${input.name ?? 'Credits'}: ${formatDecimal(amount!, currency!.scale)} ${currency!.code}`,
                quantity: formatDecimal(amount!, currency!.scale),
                unitPrice: perUnitCost.toFixed(),
                amount: purchaseTotal ?? formatDecimal(new Dec(0), scale),
              },
            ],
            total: purchaseTotal!,
            issue: true,
            now,
          });
        }
        await this.insertGrant(em, tx, g, {
          name: input.name ?? null,
          purchaseCurrency: input.purchase?.currency ?? null,
          purchaseTotal,
          invoiceId: invoice?.id ?? null,
          origin,
          subscriptionId: input.subscriptionId ?? null,
          rolledFromId: input.rolledFromId ?? null,
          allocationKey: input.allocationKey ?? null,
          autoTopUpRuleId: input.autoTopUpRuleId ?? null,
        });
        if (input.fundingMethod !== 'INVOICE' && effectiveAt <= now) tx.fund(g, input.fundedAt ?? now);
        await this.scheduleDue(em, tx.id, g, now);
        await fault('grant.funding', () => [customer.id]);
        return g.id;
      },
    );
  }

  async requireGrant(id: string): Promise<GrantEntity> {
    const g = isIdOf(IdPrefix.CreditGrant, id) ? await this.em.fork().findOne(GrantEntity, { id }) : null;
    if (!g) throw DomainError.notFound('Credit grant', id);
    return g;
  }

  /** Runs `fn` on the locked ledger of an existing grant, after booking what is due. */
  private async onGrantLedger<T>(
    grantId: string,
    fn: (tx: LedgerTx, em: EntityManager, g: GrantEntity, now: Date) => Promise<T>,
  ): Promise<T> {
    const g0 = await this.requireGrant(grantId);
    const now = this.clock.now();
    return inTransaction(this.em, async (em) => {
      const tx = await LedgerTx.open(em, g0.customerId, g0.currencyId);
      tx.bookDue(now);
      const fresh = await em.findOneOrFail(GrantEntity, { id: grantId }, { refresh: true });
      const out = await fn(tx, em, fresh, now);
      await tx.flush();
      return out;
    });
  }

  async voidGrant(grantId: string, reason: string | null): Promise<GrantEntity> {
    if (reason != null && reason.length > 500)
      throw DomainError.badInput('reason must be at most 500 characters');
    await this.onGrantLedger(grantId, async (tx, em, g) => {
      if (g.voidedAt) return; // voiding a voided grant succeeds unchanged
      const state = tx.grants.get(g.id);
      if (!state || state.expiredAt)
        throw new DomainError(
          ErrorCode.INVALID_STATE,
          `Credit grant ${g.id} has expired; it cannot be voided`,
        );
      if (state.fundedAt && state.remaining.isZero()) {
        throw new DomainError(
          ErrorCode.INVALID_STATE,
          `Credit grant ${g.id} is depleted; nothing is left to void`,
        );
      }
      tx.void(state, this.clock.now(), reason);
      // an unpaid credit-purchase invoice goes with its grant: it can no longer be paid for nothing
      if (g.invoiceId) await this.invoices.voidUnpaid(em, g.invoiceId);
    });
    return this.requireGrant(grantId);
  }

  async updateExternalSettlement(grantId: string, status: PaymentStatus): Promise<GrantEntity> {
    await this.onGrantLedger(grantId, async (tx, em, g, now) => {
      if (g.fundingMethod !== 'EXTERNAL') {
        throw new DomainError(
          ErrorCode.INVALID_STATE,
          `Credit grant ${g.id} is ${g.fundingMethod}; only EXTERNAL grants take external settlement`,
        );
      }
      if (!checkPaymentTransition(g.paymentStatus ?? 'PENDING', status, `Credit grant ${g.id}`)) return;
      const state = tx.grants.get(g.id);
      if (!state) {
        // expired or voided: the payment state is still recorded
        await setPaymentStatus(em, g.id, status);
        return;
      }
      state.paymentStatus = status;
      state.dirty = true;
      if (status === 'FAILED') tx.void(state, now, 'external payment failed');
    });
    return this.requireGrant(grantId);
  }

  /** Drives a credit-purchase invoice's payment: SETTLED funds its grant, FAILED voids both (SPEC §5, §9). */
  async updateInvoicePaymentStatus(invoiceId: string, status: PaymentStatus): Promise<InvoiceEntity> {
    const found = await this.invoices.byId(invoiceId);
    if (!found) throw DomainError.notFound('Invoice', invoiceId);
    const grant =
      found.kind === 'CREDIT_PURCHASE' ? await this.em.findOne(GrantEntity, { invoiceId: found.id }) : null;
    const now = this.clock.now();
    await inTransaction(this.em, async (em) => {
      const tx = grant ? await LedgerTx.open(em, grant.customerId, grant.currencyId) : null;
      tx?.bookDue(now);
      const invoice = await this.invoices.lockForUpdate(em, invoiceId);
      if (!(await this.invoices.applyPayment(em, invoice, status, now)) || !tx || !grant) return;
      const state = tx.grants.get(grant.id);
      if (state) {
        state.paymentStatus = status;
        state.dirty = true;
        if (status === 'SETTLED' && isFundable(state, now)) tx.fund(state, now);
        if (status === 'FAILED') tx.void(state, now, 'invoice payment failed');
      } else {
        await setPaymentStatus(em, grant.id, status);
      }
      await tx.flush();
      await fault('grant.funding', () => [found.customerId]);
    });
    return (await this.invoices.byIdFresh(invoiceId))!;
  }

  // ---- adjustments ------------------------------------------------------------------------

  /**
   * Books an ADJUSTED movement and answers it as written (`movement`), or only its id when the answer is an
   * idempotent replay of an earlier request. Concurrent adjustments of one ledger share a commit.
   */
  async adjustCredits(input: AdjustCreditsInput): Promise<{ id: string; movement: MovementView | null }> {
    const now = this.clock.now();
    const problems = new Problems();
    const customer = await this.customer(input.customerId);
    const currency = await currencyOfCode(this.em, input.currency);
    if (!currency) problems.add('currency', `unknown currency ${input.currency}`);
    const amount = currency
      ? problems.check('amount', () => parseDecimal(input.amount, { scale: currency.scale, field: 'amount' }))
      : undefined;
    if (amount && amount.isZero()) problems.add('amount', 'must not be zero');
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > 500) problems.add('reason', 'must be 1-500 characters');
    problems.throwIfAny();
    let written: MovementView | null = null;
    const id = await runOnLedgerGrouped(
      this.em,
      { customerId: customer.id, currencyId: currency!.id },
      now,
      {
        scope: `adjustCredits:${customer.id}`,
        key: input.idempotencyKey,
        input: { ...input, idempotencyKey: undefined },
      },
      async (tx, em) => {
        if (amount!.lt(0)) {
          written = movementView(tx, tx.deduct(amount!.neg(), now, reason));
          return written.id;
        }
        const g = newGrantState({
          fundingMethod: 'PROMOTIONAL',
          source: 'ADJUSTMENT',
          amount: amount!,
          priority: 10,
          effectiveAt: now,
          expiresAt: null,
          perUnitCost: new Dec(0),
          paymentStatus: null,
          featureKeys: null,
          createdAt: now,
        });
        await this.insertGrant(em, tx, g, {
          name: reason,
          purchaseCurrency: null,
          purchaseTotal: null,
          invoiceId: null,
        });
        written = movementView(tx, tx.fund(g, now, reason));
        return written.id;
      },
    );
    const movement = written as MovementView | null;
    return { id, movement: movement?.id === id ? movement : null };
  }
}
