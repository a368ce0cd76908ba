import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, isIdOf, newId } from '../../core/ids';
import { planRestore, settleCharge } from '../../engine';
import { Dec, ZERO, formatDecimal, parseDecimal, roundToScale } from '../../money';
import { CurrencyEntity, fiatScale } from '../catalog';
import { CustomerEntity } from '../customers';
import { InvoiceEntity, type InvoicesService } from '../invoices';
import {
  LedgerTx,
  MovementEntity,
  runOnLedger,
  runOnLedgerGrouped,
  type AllocationDraft,
  type BookedMovement,
} from '../ledger';
import { inTransaction } from '../shared/tx';
import { fault } from '../../core/fault';
import { valuesList } from '../shared/sql';
import { ChargeEntity } from '../usage';

export interface CreateChargeInput {
  customerId: string;
  currency: string;
  amount: string;
  description: string;
  settlementMode: 'CREDIT_ONLY' | 'CREDIT_THEN_INVOICE';
  idempotencyKey?: string | null;
}

export interface CorrectMovementInput {
  movementId: string;
  amount?: string | null;
  reason: string;
  idempotencyKey?: string | null;
}

export interface SettleResult {
  settledCharges: number;
  movementIds: string[];
  /** Customers whose ledgers changed (for live updates). */
  customerIds: string[];
}

interface ChargeRow {
  id: string;
  customer_id: string;
  currency_id: string;
  kind: 'USAGE' | 'ONE_OFF';
  subscription_id: string | null;
  feature_key: string | null;
  description: string | null;
  status: 'OPEN' | 'SETTLED';
  settlement_mode: 'CREDIT_ONLY' | 'CREDIT_THEN_INVOICE';
  fiat_code: string | null;
  fiat_value: string | null;
  amount: string;
  booked: string;
  credited_amount: string;
  invoiced_amount: string;
  period_start: Date | null;
  period_end: Date | null;
  invoice_id: string | null;
  feature_name: string | null;
}

const CHARGE_COLUMNS = `c.id, c.customer_id, c.currency_id, c.kind, c.subscription_id, c.feature_key, c.description, c.status,
  c.settlement_mode, c.fiat_code, c.fiat_value::text as fiat_value, c.amount::text as amount, c.booked::text as booked,
  c.credited_amount::text as credited_amount, c.invoiced_amount::text as invoiced_amount, c.period_start, c.period_end,
  c.invoice_id, f.name as feature_name`;

/** How many ledgers one settlement transaction handles: one lock pass, one round of writes per ledger. */
const LEDGERS_PER_BATCH = 100;

/**
 * Settlement (SPEC §8): books the part of each open charge not yet booked as one CONSUMED movement per
 * charge per run, in draw-down order; CREDIT_THEN_INVOICE remainders become usage-invoice lines in fiat.
 * Ledgers are locked in one global order (customer, currency), a micro-batch of them per transaction.
 */
export class SettlementService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly invoices: InvoicesService,
  ) {}

  /** Settles one locked charge now; closes it when `close` and everything is booked. */
  private async settleOne(em: EntityManager, tx: LedgerTx, c: ChargeRow, now: Date, close: boolean) {
    const booked = new Dec(c.booked);
    const r = settleCharge({
      asOf: now,
      charge: { id: c.id, amount: new Dec(c.amount), booked, featureKey: c.feature_key },
      grants: tx.snapshots(),
      mode: c.settlement_mode,
      scale: tx.scale,
      balance: tx.settled,
    });
    let movement: BookedMovement | null = null;
    if (r.creditedAmount.gt(0)) {
      movement = tx.book({
        type: 'CONSUMED',
        amount: r.creditedAmount.neg(),
        bookedAt: now,
        chargeId: c.id,
        description: c.description ?? c.feature_name ?? null,
        allocations: r.allocations.map((a): AllocationDraft => ({
          grantId: a.grantId,
          amount: a.amount.neg(),
        })),
      });
    }
    const invoiced = new Dec(c.invoiced_amount).plus(r.invoicedAmount);
    let invoiceId = c.invoice_id;
    if (r.invoicedAmount.gt(0)) invoiceId = await this.invoiceRemainder(em, c, invoiced, now);
    const closed = close && r.bookedAfter.eq(roundToScale(new Dec(c.amount), tx.scale));
    return {
      movement,
      changed: !r.step.isZero() || closed,
      update: [
        c.id,
        r.bookedAfter.toFixed(),
        new Dec(c.credited_amount).plus(r.creditedAmount).toFixed(),
        invoiced.toFixed(),
        closed ? 'SETTLED' : c.status,
        invoiceId,
      ],
    };
  }

  /**
   * Puts a charge's invoiced credits on the usage invoice of its period (a draft until the period ends), or
   * on an invoice issued at once for a one-off charge. Lines are recomputed from totals: no drift.
   */
  private async invoiceRemainder(
    em: EntityManager,
    c: ChargeRow,
    invoicedCredits: Dec,
    now: Date,
  ): Promise<string> {
    const fiat = c.fiat_code ?? 'USD';
    const rate = new Dec(c.fiat_value ?? '1');
    const scale = fiatScale(fiat);
    let invoice: InvoiceEntity | null = null;
    if (c.invoice_id) {
      invoice = await em.findOne(
        InvoiceEntity,
        { id: c.invoice_id },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      );
      // a charge's lines grow only on its period's draft; payments are refused on drafts, and the draft is
      // issued only when the period ends, which also closes the charge
      if (invoice && invoice.status !== 'DRAFT') {
        throw new Error(`charge ${c.id} would add to ${invoice.status} invoice ${invoice.number}`);
      }
    }
    if (!invoice && c.kind === 'USAGE') {
      invoice = await em.findOne(
        InvoiceEntity,
        {
          subscriptionId: c.subscription_id,
          periodStart: c.period_start,
          currency: fiat,
          kind: 'USAGE',
          status: 'DRAFT',
        },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      );
    }
    if (!invoice) {
      invoice = await this.invoices.create(em, {
        customerId: c.customer_id,
        currency: fiat,
        kind: 'USAGE',
        lines: [],
        total: formatDecimal(ZERO, scale),
        issue: c.kind === 'ONE_OFF',
        now,
      });
      invoice.subscriptionId = c.subscription_id;
      invoice.periodStart = c.period_start ? new Date(c.period_start) : null;
      invoice.periodEnd = c.period_end ? new Date(c.period_end) : null;
    }
    const keys = { ...invoice.lineKeys };
    const line = {
      description: c.description ?? `${c.feature_name ?? c.feature_key ?? 'Usage'} not covered by credits`,
      quantity: invoicedCredits.toFixed(),
      unitPrice: rate.toFixed(),
      amount: formatDecimal(invoicedCredits.times(rate), scale),
    };
    const lines = [...invoice.lines];
    const at = keys[c.id];
    if (at === undefined) {
      keys[c.id] = lines.length;
      lines.push(line);
    } else {
      lines[at] = line;
    }
    invoice.lines = lines;
    invoice.lineKeys = keys;
    invoice.total = formatDecimal(
      lines.reduce((s, l) => s.plus(l.amount), ZERO),
      scale,
    );
    await em.flush();
    return invoice.id;
  }

  /** The open charges of several ledgers, locked in id order (after their ledgers: the global order). */
  private async lockOpenCharges(
    em: EntityManager,
    keys: readonly { customerId: string; currencyId: string }[],
  ): Promise<ChargeRow[]> {
    return em.execute<ChargeRow[]>(
      `select ${CHARGE_COLUMNS} from charge c left join feature f on f.id = c.feature_id
        where (c.customer_id, c.currency_id) in (${keys.map(() => '(?, ?)').join(', ')}) and c.status = 'OPEN'
        order by c.id
        for update of c`,
      keys.flatMap((k) => [k.customerId, k.currencyId]),
    );
  }

  private async writeCharges(em: EntityManager, updates: unknown[][]): Promise<void> {
    if (updates.length === 0) return;
    await em.execute(
      `update charge as c set booked = v.b::numeric, credited_amount = v.cr::numeric, invoiced_amount = v.inv::numeric,
              status = v.st, invoice_id = v.inv_id, updated_at = now()
         from (values ${valuesList(updates.length, '(?, ?, ?, ?, ?, ?)', updates.flat())}) as v(id, b, cr, inv, st, inv_id)
        where c.id = v.id`,
      updates.flat(),
    );
  }

  /** Settles every ledger with unbooked or ended open charges (optionally one customer's). */
  async settle(customerId?: string | null): Promise<SettleResult> {
    const now = this.clock.now();
    const keys = await this.em.fork().execute<{ customer_id: string; currency_id: string }[]>(
      // a sub-cent remainder that rounds to what is booked has nothing to book: skip it until its period ends
      `select distinct c.customer_id, c.currency_id from charge c join currency cur on cur.id = c.currency_id
        where c.status = 'OPEN' and (round(c.amount, cur.scale) <> c.booked or c.period_end <= ?::timestamptz)
              ${customerId ? 'and c.customer_id = ?' : ''}
        order by c.customer_id, c.currency_id`,
      customerId ? [now.toISOString(), customerId] : [now.toISOString()],
    );
    const result: SettleResult = { settledCharges: 0, movementIds: [], customerIds: [] };
    for (let i = 0; i < keys.length; i += LEDGERS_PER_BATCH) {
      const batch = keys.slice(i, i + LEDGERS_PER_BATCH);
      const out = await inTransaction(this.em, async (em) => {
        const r: SettleResult = { settledCharges: 0, movementIds: [], customerIds: [] };
        const ended: { subscription_id: string; period_start: Date }[] = [];
        // one pass of locks for the whole batch: ledgers, their grants, their open charges
        const keys = batch.map((k) => ({ customerId: k.customer_id, currencyId: k.currency_id }));
        const txs = await LedgerTx.openMany(em, keys);
        const txByKey = new Map(txs.map((tx) => [`${tx.customerId}|${tx.currencyId}`, tx]));
        for (const tx of txs) tx.bookDue(now);
        const updates: unknown[][] = [];
        for (const c of await this.lockOpenCharges(em, keys)) {
          const tx = txByKey.get(`${c.customer_id}|${c.currency_id}`)!;
          const close = c.period_end !== null && new Date(c.period_end) <= now;
          const s = await this.settleOne(em, tx, c, now, close);
          if (s.changed) updates.push(s.update);
          if (s.movement) {
            r.settledCharges++;
            r.movementIds.push(s.movement.id);
          }
          if (close && c.subscription_id && c.period_start)
            ended.push({ subscription_id: c.subscription_id, period_start: c.period_start });
        }
        // one round of multi-row writes for the whole batch
        await LedgerTx.flushAll(em, txs);
        await fault('settlement.batch', () => keys.map((k) => k.customerId));
        await this.writeCharges(em, updates);
        for (const tx of txs) if (tx.booked.length > 0) r.customerIds.push(tx.customerId);
        // usage invoices of periods that ended are issued
        for (const e of ended) {
          await em.execute(
            `update invoice set status = 'ISSUED', issued_at = ?::timestamptz
              where kind = 'USAGE' and status = 'DRAFT' and subscription_id = ? and period_start = ?::timestamptz`,
            [now.toISOString(), e.subscription_id, new Date(e.period_start).toISOString()],
          );
        }
        return r;
      });
      result.settledCharges += out.settledCharges;
      result.movementIds.push(...out.movementIds);
      result.customerIds.push(...out.customerIds);
    }
    result.customerIds = [...new Set(result.customerIds)];
    return result;
  }

  /** A one-off charge (a fee, a manual debit), settled at once under the given mode. */
  async createCharge(input: CreateChargeInput): Promise<ChargeEntity> {
    const now = this.clock.now();
    const problems = new Problems();
    const customer = isIdOf(IdPrefix.Customer, input.customerId)
      ? await this.em.findOne(CustomerEntity, { id: input.customerId })
      : null;
    if (!customer) throw DomainError.notFound('Customer', input.customerId);
    const currency = await this.em.findOne(CurrencyEntity, { code: input.currency });
    if (!currency) problems.add('currency', `unknown currency ${input.currency}`);
    const amount = currency
      ? problems.check('amount', () =>
          parseDecimal(input.amount, { scale: currency.scale, positive: true, field: 'amount' }),
        )
      : undefined;
    const description = input.description.trim();
    if (description.length === 0 || description.length > 500)
      problems.add('description', 'must be 1-500 characters');
    problems.throwIfAny();
    const scope = `createCharge:${customer.id}`;
    // one-off charges on a hot ledger are committed in groups (see runOnLedgerGrouped)
    const chargeId = await runOnLedgerGrouped(
      this.em,
      { customerId: customer.id, currencyId: currency!.id },
      now,
      { scope, key: input.idempotencyKey, input: { ...input, idempotencyKey: undefined } },
      async (tx, em) => {
        // settle in memory first, then write the charge once with its final figures (fewer round trips
        // while the ledger lock is held); the movement that references it is written after, at flush
        const row: ChargeRow = {
          id: newId(IdPrefix.Charge),
          customer_id: customer.id,
          currency_id: currency!.id,
          kind: 'ONE_OFF',
          subscription_id: null,
          feature_key: null,
          description,
          status: 'OPEN',
          settlement_mode: input.settlementMode,
          fiat_code: currency!.fiatCode ?? currency!.code,
          fiat_value: currency!.fiatValue ?? '1',
          amount: amount!.toFixed(),
          booked: '0',
          credited_amount: '0',
          invoiced_amount: '0',
          period_start: null,
          period_end: null,
          invoice_id: null,
          feature_name: null,
        };
        const s = await this.settleOne(em, tx, row, now, true);
        const [, booked, credited, invoiced, status, invoiceId] = s.update as [
          string,
          string,
          string,
          string,
          string,
          string | null,
        ];
        await em.execute(
          `insert into charge (id, customer_id, currency_id, kind, description, status, settlement_mode, fiat_code, fiat_value,
                               amount, booked, credited_amount, invoiced_amount, invoice_id, created_at, updated_at)
           values (?, ?, ?, 'ONE_OFF', ?, ?, ?, ?, ?::numeric, ?::numeric, ?::numeric, ?::numeric, ?::numeric, ?,
                   ?::timestamptz, ?::timestamptz)`,
          [
            row.id,
            row.customer_id,
            row.currency_id,
            description,
            status,
            row.settlement_mode,
            row.fiat_code,
            row.fiat_value,
            row.amount,
            booked,
            credited,
            invoiced,
            invoiceId,
            now.toISOString(),
            now.toISOString(),
          ],
        );
        return row.id;
      },
    );
    return (await this.em.fork().findOne(ChargeEntity, { id: chargeId }))!;
  }

  /**
   * Gives back all or part of a CONSUMED movement (SPEC §6): restores credit to the grants it came from in
   * reverse of the order it took them. Portions whose grant has expired or been voided are not restored and
   * are listed in the movement's details; an uncovered (debt) portion reduces the outstanding debt.
   */
  async correctMovement(input: CorrectMovementInput): Promise<MovementEntity> {
    const now = this.clock.now();
    const original = isIdOf(IdPrefix.CreditMovement, input.movementId)
      ? await this.em.fork().findOne(MovementEntity, { id: input.movementId })
      : null;
    if (!original) throw DomainError.notFound('Credit movement', input.movementId);
    if (original.type !== 'CONSUMED') {
      throw new DomainError(
        ErrorCode.INVALID_STATE,
        `Only CONSUMED movements can be corrected; this one is ${original.type}`,
      );
    }
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > 500)
      throw DomainError.badInput('reason must be 1-500 characters');
    const scope = `correctMovement:${original.customerId}`;
    const movementId = await runOnLedger(
      this.em,
      { customerId: original.customerId, currencyId: original.currencyId },
      now,
      { scope, key: input.idempotencyKey, input: { ...input, idempotencyKey: undefined } },
      async (tx, em) => {
        const allocations = await em.execute<{ grant_id: string | null; amount: string }[]>(
          `select grant_id, amount::text as amount from allocation where movement_id = ? order by position`,
          [original.id],
        );
        const prior = await em.execute<{ requested: string | null }[]>(
          `select details->>'requested' as requested from movement where corrects_id = ? and type = 'CORRECTED'`,
          [original.id],
        );
        const already = prior.reduce((s, p) => s.plus(p.requested ?? '0'), ZERO);
        const consumed = new Dec(original.amount).neg();
        const amount =
          input.amount != null
            ? parseDecimal(input.amount, { scale: tx.scale, positive: true, field: 'amount' })
            : consumed.minus(already);
        if (amount.lte(0))
          throw new DomainError(ErrorCode.INVALID_STATE, 'This movement has already been corrected in full');
        const plan = planRestore({
          consumed: allocations.map((a) => ({ grantId: a.grant_id, amount: new Dec(a.amount).neg() })),
          amount,
          alreadyCorrected: already,
          restorable: (grantId) => {
            const g = tx.grants.get(grantId);
            return (
              !!g &&
              g.voidedAt === null &&
              g.expiredAt === null &&
              (g.expiresAt === null || g.expiresAt > now)
            );
          },
        });
        const restored: AllocationDraft[] = plan.restores.map((r) => ({
          grantId: r.grantId,
          amount: r.amount,
        }));
        const notRestored: { grantId: string | null; amount: string; why: string }[] = [];
        let debt = tx.outstandingDebt;
        for (const p of plan.notRestored) {
          if (p.grantId === null) {
            // the uncovered part of a CREDIT_ONLY consumption is given back against the debt still outstanding
            const give = Dec.min(p.amount, debt);
            if (give.gt(0)) restored.push({ grantId: null, amount: give });
            debt = debt.minus(give);
            if (p.amount.gt(give))
              notRestored.push({
                grantId: null,
                amount: p.amount.minus(give).toFixed(),
                why: 'debt already repaid',
              });
          } else {
            const g = tx.grants.get(p.grantId);
            notRestored.push({
              grantId: p.grantId,
              amount: p.amount.toFixed(),
              why: g?.voidedAt || !g ? 'grant voided or expired' : 'grant expired',
            });
          }
        }
        const total = restored.reduce((s, a) => s.plus(a.amount), ZERO);
        if (total.isZero()) {
          throw new DomainError(
            ErrorCode.INVALID_STATE,
            'Nothing can be given back: the grants it came from have expired or been voided',
            {
              notRestored,
            },
          );
        }
        const summary = notRestored.length
          ? `${reason} (not restored: ${notRestored.map((n) => `${tx.format(new Dec(n.amount))} of ${n.grantId ?? 'debt'}, ${n.why}`).join('; ')})`
          : reason;
        const m = tx.book({
          type: 'CORRECTED',
          amount: total,
          bookedAt: now,
          chargeId: original.chargeId,
          correctsId: original.id,
          description: summary,
          allocations: restored,
          details: { requested: amount.toFixed(), notRestored },
        });
        return m.id;
      },
    );
    return (await this.em.fork().findOne(MovementEntity, { id: movementId }))!;
  }
}
