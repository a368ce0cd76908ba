import type { EntityManager } from '@mikro-orm/postgresql';
import { IsolationLevel } from '@mikro-orm/core';
import type { Clock } from '../../core/clock';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, isIdOf } from '../../core/ids';
import { fault } from '../../core/fault';
import { enqueueJob } from '../../db/jobs';
import { Dec, formatDecimal, parseDecimal, roundToScale } from '../../money';
import { pendingBalance, type SettlementMode } from '../../engine';
import { CurrencyEntity, FeatureEntity, isFiatCode, fiatScale } from '../catalog';
import { CustomerEntity } from '../customers';
import {
  type InvoicesService,
  checkPaymentTransition,
  type InvoiceEntity,
  type PaymentStatus,
} from '../invoices';
import type { CursorCodec } from '../shared/cursor';
import { finishPage, keysetRequest, type Page, type PageArgs } from '../shared/page';
import { inTransaction } from '../shared/tx';
import {
  type AllocationEntity,
  GrantEntity,
  LedgerEntity,
  type MovementEntity,
  type FundingMethod,
  type GrantStatus,
  type MovementType,
} from './entities';
import { LedgerTx, fundable, newGrantState, runOnLedger, type GrantState } from './ledger-tx';
import { balanceAt } from './views';
import { selectAllocations, selectGrants, selectMovements } from './rows';

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
}

export interface AdjustCreditsInput {
  customerId: string;
  currency: string;
  amount: string;
  reason: string;
  idempotencyKey?: string | null;
}

export interface BalanceView {
  currency: CurrencyEntity;
  settled: string;
  pending: string;
  upcoming: string;
  asOf: Date;
}

export interface MovementFilter {
  currency?: string | null;
  types?: MovementType[] | null;
}

/**
 * Grants, funding lifecycles and the ledger's own movements (SPEC §5–7, §9 credit purchases, §12).
 * Every write: one transaction, the ledger row lock first, then the idempotency key, then what is due,
 * then the use case; jobs for future due work are enqueued in the same transaction.
 */
export class LedgerService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
    private readonly invoices: InvoicesService,
  ) {}

  // ---- helpers ----------------------------------------------------------------------------

  private async customer(id: string): Promise<CustomerEntity> {
    const c = isIdOf(IdPrefix.Customer, id) ? await this.em.findOne(CustomerEntity, { id }) : null;
    if (!c) throw DomainError.notFound('Customer', id);
    return c;
  }

  private async currency(
    code: string,
    problems?: Problems,
    field = 'currency',
  ): Promise<CurrencyEntity | null> {
    const c = await this.em.findOne(CurrencyEntity, { code });
    if (!c) {
      if (problems) problems.add(field, `unknown currency ${code}`);
      else throw DomainError.badInput(`unknown currency ${code}`);
    }
    return c;
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

  private async insertGrant(
    em: EntityManager,
    tx: LedgerTx,
    g: GrantState,
    extra: {
      name: string | null;
      purchaseCurrency: string | null;
      purchaseTotal: string | null;
      invoiceId: string | null;
    },
  ) {
    await em.execute(
      `insert into credit_grant (id, ledger_id, customer_id, currency_id, name, source, funding_method, amount, remaining,
                                 priority, effective_at, expires_at, per_unit_cost, purchase_currency, purchase_total,
                                 payment_status, invoice_id, feature_keys, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?::numeric, ?::numeric, ?, ?::timestamptz, ?::timestamptz, ?::numeric, ?, ?::numeric, ?, ?, ?::text[], ?::timestamptz)`,
      [
        g.id,
        tx.id,
        tx.customerId,
        tx.currencyId,
        extra.name,
        g.source,
        g.fundingMethod,
        g.amount.toFixed(),
        g.amount.toFixed(),
        g.priority,
        g.effectiveAt.toISOString(),
        g.expiresAt?.toISOString() ?? null,
        g.perUnitCost.toFixed(),
        extra.purchaseCurrency,
        extra.purchaseTotal,
        g.paymentStatus,
        extra.invoiceId,
        g.featureKeys ? `{${g.featureKeys.map((k) => JSON.stringify(k)).join(',')}}` : null,
        g.createdAt.toISOString(),
      ],
    );
    tx.track(g);
  }

  // ---- grants -----------------------------------------------------------------------------

  async createGrant(input: CreateGrantInput): Promise<GrantEntity> {
    const now = this.clock.now();
    const problems = new Problems();
    const customer = await this.customer(input.customerId);
    const currency = await this.currency(input.currency, problems);
    const amount = currency
      ? problems.check('amount', () =>
          parseDecimal(input.amount, { scale: currency.scale, positive: true, field: 'amount' }),
        )
      : undefined;
    const priority = input.priority ?? 10;
    if (!Number.isInteger(priority) || priority < 1 || priority > 1000)
      problems.add('priority', 'must be an integer from 1 to 1000');
    const effectiveAt = input.effectiveAt ?? now;
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt && expiresAt <= effectiveAt) problems.add('expiresAt', 'must be after effectiveAt');
    if (expiresAt && expiresAt <= now) problems.add('expiresAt', 'must be in the future');
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

    const grantId = await runOnLedger(
      this.em,
      { customerId: customer.id, currencyId: currency!.id },
      now,
      {
        scope: `createCreditGrant:${customer.id}`,
        key: input.idempotencyKey,
        input: { ...input, idempotencyKey: undefined },
      },
      async (tx, em) => {
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
        });
        if (input.fundingMethod !== 'INVOICE' && effectiveAt <= now) tx.fund(g, now);
        await this.scheduleDue(em, tx.id, g, now);
        await fault('grant.funding', () => [customer.id]);
        return g.id;
      },
    );
    return this.requireGrant(grantId);
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
    await this.onGrantLedger(grantId, async (tx, _em, g, now) => {
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
        await _em.execute(`update credit_grant set payment_status = ? where id = ?`, [status, g.id]);
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
      found.kind === 'CREDIT_PURCHASE'
        ? await this.em.fork().findOne(GrantEntity, { invoiceId: found.id })
        : null;
    const now = this.clock.now();
    await inTransaction(this.em, async (em) => {
      const tx = grant ? await LedgerTx.open(em, grant.customerId, grant.currencyId) : null;
      tx?.bookDue(now);
      const invoice = await this.invoices.lockForUpdate(em, invoiceId);
      if (!this.invoices.applyPayment(invoice, status) || !tx || !grant) return;
      const state = tx.grants.get(grant.id);
      if (state) {
        state.paymentStatus = status;
        state.dirty = true;
        if (status === 'SETTLED' && fundable(state, now)) tx.fund(state, now);
        if (status === 'FAILED') tx.void(state, now, 'invoice payment failed');
      } else {
        await em.execute(`update credit_grant set payment_status = ? where id = ?`, [status, grant.id]);
      }
      await tx.flush();
      await fault('grant.funding', () => [found.customerId]);
    });
    return (await this.invoices.byIdFresh(invoiceId))!;
  }

  // ---- adjustments ------------------------------------------------------------------------

  async adjustCredits(input: AdjustCreditsInput): Promise<MovementEntity> {
    const now = this.clock.now();
    const problems = new Problems();
    const customer = await this.customer(input.customerId);
    const currency = await this.currency(input.currency, problems);
    const amount = currency
      ? problems.check('amount', () => parseDecimal(input.amount, { scale: currency.scale, field: 'amount' }))
      : undefined;
    if (amount && amount.isZero()) problems.add('amount', 'must not be zero');
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > 500) problems.add('reason', 'must be 1-500 characters');
    problems.throwIfAny();
    const movementId = await runOnLedger(
      this.em,
      { customerId: customer.id, currencyId: currency!.id },
      now,
      {
        scope: `adjustCredits:${customer.id}`,
        key: input.idempotencyKey,
        input: { ...input, idempotencyKey: undefined },
      },
      async (tx, em) => {
        if (amount!.lt(0)) return tx.deduct(amount!.neg(), now, reason).id;
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
        return tx.fund(g, now, reason).id;
      },
    );
    return (await this.movementById(movementId))!;
  }

  // ---- due work (background job) -----------------------------------------------------------

  /** Books everything due on one ledger now: fundings at their effective instant, expiries at expiresAt. */
  async bookDue(ledgerId: string): Promise<number> {
    const ledger = await this.em.fork().findOne(LedgerEntity, { id: ledgerId });
    if (!ledger) return 0;
    const now = this.clock.now();
    return inTransaction(this.em, async (em) => {
      const tx = await LedgerTx.open(em, ledger.customerId, ledger.currencyId);
      const booked = tx.bookDue(now);
      await tx.flush();
      return booked.length;
    });
  }

  /** Ledgers with due work: the safety net behind the per-grant scheduled jobs. */
  async ledgersWithDueWork(limit = 500): Promise<string[]> {
    const rows = await this.em.fork().execute<{ ledger_id: string }[]>(
      `select distinct ledger_id from (
         (select ledger_id from credit_grant
           where funded_at is null and voided_at is null and expired_at is null and effective_at <= now()
             and (funding_method <> 'INVOICE' or payment_status = 'SETTLED') limit ?)
         union all
         (select ledger_id from credit_grant
           where expires_at is not null and expired_at is null and voided_at is null and funded_at is not null
             and expires_at <= now() limit ?)
       ) due`,
      [limit, limit],
    );
    return rows.map((r) => r.ledger_id);
  }

  /** Deletes outbox rows older than the retention; the movements themselves stay forever. */
  async pruneOutbox(retentionMs: number): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - retentionMs);
    const rows = await this.em
      .fork()
      .execute<{ n: number }[]>(
        `with gone as (delete from outbox where created_at < ? returning 1) select count(*)::int as n from gone`,
        [cutoff.toISOString()],
      );
    return rows[0]?.n ?? 0;
  }

  // ---- reads ------------------------------------------------------------------------------

  /** SPEC §7 balances in one consistent snapshot (REPEATABLE READ, read-only: never blocks writers). */
  async balances(customerId: string, currencyCode?: string | null): Promise<BalanceView[]> {
    const asOf = this.clock.now();
    return this.em.fork().transactional(
      async (em) => {
        const where: Record<string, unknown> = { customerId };
        if (currencyCode != null) {
          const c = await em.findOne(CurrencyEntity, { code: currencyCode });
          if (!c) return [];
          where.currencyId = c.id;
        }
        const ledgers = await em.find(LedgerEntity, where, { orderBy: { id: 'asc' } });
        if (ledgers.length === 0) return [];
        const currencies = await em.find(CurrencyEntity, { id: { $in: ledgers.map((l) => l.currencyId) } });
        const byId = new Map(currencies.map((c) => [c.id, c]));
        const grants = await em.find(GrantEntity, {
          ledgerId: { $in: ledgers.map((l) => l.id) },
          voidedAt: null,
          expiredAt: null,
        });
        // what open charges will still take: rated usage not yet booked (SPEC §7 pending)
        const open = await em.execute<
          { currency_id: string; settlement_mode: string; amount: string; booked: string }[]
        >(
          `select currency_id, settlement_mode, amount::text as amount, booked::text as booked
             from charge where customer_id = ? and status = 'OPEN' and amount <> booked`,
          [customerId],
        );
        return ledgers
          .map((l) => {
            const currency = byId.get(l.currencyId)!;
            const { settled, upcoming } = balanceAt(
              new Dec(l.balance),
              grants.filter((g) => g.ledgerId === l.id),
              asOf,
            );
            const p = pendingBalance(
              settled,
              open
                .filter((c) => c.currency_id === l.currencyId)
                .map((c) => ({
                  mode: c.settlement_mode as SettlementMode,
                  unbooked: roundToScale(new Dec(c.amount), currency.scale).minus(c.booked),
                })),
            );
            return {
              currency,
              settled: formatDecimal(settled, currency.scale),
              pending: formatDecimal(p, currency.scale),
              upcoming: formatDecimal(upcoming, currency.scale),
              asOf,
            };
          })
          .sort((a, b) => (a.currency.code < b.currency.code ? -1 : 1));
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
    );
  }

  async grantsByIds(ids: readonly string[]): Promise<Map<string, GrantEntity>> {
    const rows = await selectGrants(this.em, ids);
    return new Map(rows.map((r) => [r.id, r]));
  }

  async listGrants(
    customerId: string,
    filter: { currency?: string | null; status?: GrantStatus[] | null },
    args: PageArgs,
  ): Promise<Page<GrantEntity>> {
    const asOf = this.clock.now();
    const scope = this.cursors.scopeOf([
      'grants',
      customerId,
      filter.currency ?? null,
      [...(filter.status ?? [])].sort(),
    ]);
    const req = keysetRequest<string>(args, this.cursors, scope, 'string');
    const conds: string[] = ['g.customer_id = ?'];
    const params: unknown[] = [customerId];
    if (filter.currency != null) {
      conds.push('c.code = ?');
      params.push(filter.currency);
    }
    if (filter.status && filter.status.length > 0) {
      const t = '?::timestamptz';
      const expired = `(g.expired_at is not null or (g.expires_at is not null and g.expires_at <= ${t}))`;
      const fundable = `(g.funded_at is null and g.effective_at <= ${t} and (g.funding_method <> 'INVOICE' or g.payment_status = 'SETTLED'))`;
      const clauses: Record<GrantStatus, { sql: string; n: number }> = {
        VOIDED: { sql: 'g.voided_at is not null', n: 0 },
        EXPIRED: { sql: `g.voided_at is null and ${expired}`, n: 1 },
        PENDING: {
          sql: `g.voided_at is null and not ${expired} and g.funded_at is null and not ${fundable}`,
          n: 2,
        },
        ACTIVE: {
          sql: `g.voided_at is null and not ${expired} and ((g.funded_at is not null and g.remaining > 0) or ${fundable})`,
          n: 2,
        },
        DEPLETED: {
          sql: `g.voided_at is null and not ${expired} and g.funded_at is not null and g.remaining = 0`,
          n: 1,
        },
      };
      const parts = [...new Set(filter.status)].map((s) => {
        for (let i = 0; i < clauses[s].n; i++) params.push(asOf.toISOString());
        return `(${clauses[s].sql})`;
      });
      conds.push(`(${parts.join(' or ')})`);
    }
    if (req.bound !== null) {
      conds.push(req.forward ? 'g.id < ?' : 'g.id > ?');
      params.push(req.bound);
    }
    params.push(req.limit + 1);
    const rows = await this.em.execute<{ id: string }[]>(
      `select g.id from credit_grant g join currency c on c.id = g.currency_id
        where ${conds.join(' and ')} order by g.id ${req.forward ? 'desc' : 'asc'} limit ?`,
      params,
    );
    const byId = await this.grantsByIds(rows.map((r) => r.id));
    return finishPage(
      rows.map((r) => byId.get(r.id)!),
      req,
      (g) => g.id,
      this.cursors,
      scope,
    );
  }

  async movementById(id: string): Promise<MovementEntity | null> {
    if (!isIdOf(IdPrefix.CreditMovement, id)) return null;
    return (await selectMovements(this.em, 'm.id = ?', [id]))[0] ?? null;
  }

  async movementsByIds(ids: readonly string[]): Promise<Map<string, MovementEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await selectMovements(this.em, `m.id in (${ids.map(() => '?').join(',')})`, [...ids]);
    return new Map(rows.map((r) => [r.id, r]));
  }

  async allocationsByMovementIds(ids: readonly string[]): Promise<Map<string, AllocationEntity[]>> {
    const rows = await selectAllocations(this.em, ids);
    const out = new Map<string, AllocationEntity[]>(ids.map((id) => [id, []]));
    for (const r of rows) out.get(r.movementId)?.push(r);
    return out;
  }

  /** History newest first, keyset on the customer-wide booking order; never OFFSET (SPEC §12). */
  async listMovements(
    customerId: string,
    filter: MovementFilter,
    args: PageArgs,
  ): Promise<Page<MovementEntity>> {
    const types = filter.types && filter.types.length > 0 ? [...new Set(filter.types)].sort() : null;
    const scope = this.cursors.scopeOf(['movements', customerId, filter.currency ?? null, types]);
    const req = keysetRequest<string>(args, this.cursors, scope, 'string');
    const conds = ['m.customer_id = ?'];
    const params: unknown[] = [customerId];
    if (filter.currency != null) {
      // the ledger of that currency, resolved inside the same statement
      conds.push(
        `m.ledger_id = (select l.id from ledger l join currency c on c.id = l.currency_id
                         where l.customer_id = ? and c.code = ?)`,
      );
      params.push(customerId, filter.currency);
    }
    if (types) {
      conds.push(`m.type in (${types.map(() => '?').join(',')})`);
      params.push(...types);
    }
    if (req.bound !== null) {
      if (!/^[0-9]{1,18}$/.test(req.bound)) throw DomainError.badInput('Invalid cursor');
      conds.push(req.forward ? 'm.gseq < ?::bigint' : 'm.gseq > ?::bigint');
      params.push(req.bound);
    }
    params.push(req.limit + 1);
    const rows = await selectMovements(
      this.em,
      conds.join(' and '),
      params,
      `order by m.gseq ${req.forward ? 'desc' : 'asc'} limit ?`,
    );
    return finishPage(rows, req, (m) => String(m.gseq), this.cursors, scope);
  }

  async ledgerIdFor(customerId: string, currencyId: string): Promise<string | null> {
    const l = await this.em.findOne(LedgerEntity, { customerId, currencyId });
    return l?.id ?? null;
  }
}
