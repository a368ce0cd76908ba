import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { parseIsoDuration, addDuration } from '../../core/duration';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, isIdOf, newId } from '../../core/ids';
import { pendingOfShares } from '../../engine';
import { formatDecimal, parseDecimal, type Dec } from '../../money';
import { CurrencyEntity, currencyAndAmount } from '../catalog';
import { CustomerEntity } from '../customers';
import type { InvoicesService } from '../invoices';
import { holdStatusAt, holdStore, runOnLedger, type HoldFilter, type HoldRow } from '../ledger';
import { bookOneOff } from '../settlement';
import type { CursorCodec } from '../shared/cursor';
import type { Page, PageArgs } from '../shared/page';
import { noteChange } from '../shared/tx';
import { chargeStore } from '../usage';
import type { CheckCache } from './check-cache';
import { checkCredits, type CreditCheckView } from './checks';
import { creditForecast, type CreditForecastView } from './forecast';
import { toOpenShare } from './shares';

export interface ReserveCreditsInput {
  customerId: string;
  currency: string;
  amount: string;
  description?: string | null;
  /** ISO-8601 duration, positive, at most 24 hours; default PT15M. */
  expiresIn?: string | null;
  idempotencyKey?: string | null;
}

export interface CaptureCreditHoldInput {
  holdId: string;
  /** At most the held amount; default all of it. */
  amount?: string | null;
  description?: string | null;
  idempotencyKey?: string | null;
}

export const DEFAULT_HOLD_DURATION = 'PT15M';
const MAX_HOLD_MS = 24 * 3600 * 1000;

/** A positive ISO-8601 duration of at most 24 hours, as milliseconds from `now`. */
export function holdDurationMs(text: string, now: Date): number {
  const d = parseIsoDuration(text, { what: 'expiresIn', minSeconds: 1 });
  const ms = addDuration(now, d).getTime() - now.getTime();
  if (ms <= 0 || ms > MAX_HOLD_MS) throw DomainError.badInput(`expiresIn ${text} must be at most 24 hours`);
  return ms;
}

function checkDescription(problems: Problems, description: string | null | undefined): string | null {
  if (description == null) return null;
  const d = description.trim();
  if (d.length === 0 || d.length > 500) problems.add('description', 'must be 1-500 characters');
  return d;
}

/**
 * Credit holds (SPEC §16): reserve an amount of a ledger, capture it (all or part) as a CREDIT_ONLY one-off
 * charge, release it; a hold expires at `expiresAt` on its own. Every write runs on the locked ledger
 * (`runOnLedger`), so reserves are serialized with every other writer of the ledger and never together hold
 * more than `pending`. The table is the ledger's (`holdStore`); a capture books through settlement's one
 * one-off path (`bookOneOff`).
 */
export class HoldsService {
  constructor(
    /**
     * The unit of work's EntityManager and invoices, read when first needed: a check answered from the check
     * cache forks no EntityManager.
     */
    private readonly uow: { readonly em: EntityManager; readonly invoices: InvoicesService },
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
    /** The process's check cache (`checkCredits` without a database round trip when nothing changed). */
    private readonly checks: CheckCache | null = null,
  ) {}

  private get em(): EntityManager {
    return this.uow.em;
  }

  private async customer(id: string): Promise<CustomerEntity> {
    const c = isIdOf(IdPrefix.Customer, id) ? await this.em.findOne(CustomerEntity, { id }) : null;
    if (!c) throw DomainError.notFound('Customer', id);
    return c;
  }

  async requireHold(id: string): Promise<HoldRow> {
    const h = isIdOf(IdPrefix.CreditHold, id) ? (await holdStore.byIds(this.em, [id])).get(id) : undefined;
    if (!h) throw DomainError.notFound('Credit hold', id);
    return h;
  }

  holdsByIds(ids: readonly string[]): Promise<Map<string, HoldRow>> {
    return holdStore.byIds(this.em, ids);
  }

  /** A customer's holds, newest first (`Customer.creditHolds`). */
  list(customerId: string, filter: HoldFilter, args: PageArgs): Promise<Page<HoldRow>> {
    return holdStore.page(this.em, this.cursors, customerId, filter, args, this.clock.now());
  }

  /** SPEC §16 `checkCredits` (reads only). */
  check(customerId: string, featureKey: string, quantity: string): Promise<CreditCheckView> {
    return checkCredits(this.uow, this.clock.now(), customerId, featureKey, quantity, this.checks);
  }

  /** SPEC §16 `Customer.creditForecast` (reads only). */
  forecast(customerId: string, currency: string): Promise<CreditForecastView> {
    return creditForecast(this.em, this.clock.now(), customerId, currency);
  }

  async reserve(input: ReserveCreditsInput): Promise<HoldRow> {
    const now = this.clock.now();
    const problems = new Problems();
    const customer = await this.customer(input.customerId);
    const { currency, amount } = await currencyAndAmount(this.em, problems, input.currency, input.amount);
    const ms = problems.check('expiresIn', () =>
      holdDurationMs(input.expiresIn ?? DEFAULT_HOLD_DURATION, now),
    );
    const description = checkDescription(problems, input.description);
    problems.throwIfAny();
    const id = await runOnLedger(
      this.em,
      { customerId: customer.id, currencyId: currency!.id },
      now,
      {
        scope: `reserveCredits:${customer.id}`,
        key: input.idempotencyKey,
        input: { ...input, idempotencyKey: undefined },
      },
      async (tx, em) => {
        // under the ledger lock: the holds and the settled balance no other writer can change meanwhile
        const holds = (await holdStore.active(em, [tx.id], now)).get(tx.id) ?? [];
        const open = await chargeStore.openOfLedger(em, customer.id, currency!.id);
        const pending = pendingOfShares({
          settled: tx.settled,
          scale: tx.scale,
          open: open.map(toOpenShare),
          holds,
        });
        if (amount!.gt(pending)) throw insufficient(pending, amount!, currency!);
        const holdId = newId(IdPrefix.CreditHold);
        await holdStore.insert(em, {
          id: holdId,
          ledgerId: tx.id,
          customerId: customer.id,
          currencyId: currency!.id,
          amount: amount!,
          description,
          expiresAt: new Date(now.getTime() + ms!),
          createdAt: now,
        });
        // no movement: live subscribers get a pending-only update
        noteChange(em, 'pending', [customer.id]);
        return holdId;
      },
    );
    return this.requireHold(id);
  }

  async capture(input: CaptureCreditHoldInput): Promise<HoldRow> {
    const now = this.clock.now();
    const found = await this.requireHold(input.holdId);
    const currency = await this.em.findOneOrFail(CurrencyEntity, { id: found.currencyId });
    const problems = new Problems();
    const amount =
      input.amount == null
        ? null
        : problems.check('amount', () =>
            parseDecimal(input.amount!, { scale: currency.scale, positive: true, field: 'amount' }),
          );
    const description = checkDescription(problems, input.description);
    problems.throwIfAny();
    await runOnLedger(
      this.em,
      { customerId: found.customerId, currencyId: found.currencyId },
      now,
      {
        scope: `captureCreditHold:${found.customerId}`,
        key: input.idempotencyKey,
        input: { ...input, idempotencyKey: undefined },
      },
      async (tx, em) => {
        const h = (await holdStore.lock(em, found.id))!;
        const status = holdStatusAt(h, now);
        if (status !== 'HELD')
          throw new DomainError(
            ErrorCode.INVALID_STATE,
            `Credit hold ${h.id} is ${status}; only a HELD hold can be captured`,
          );
        const captured = amount ?? h.amount;
        if (captured.gt(h.amount))
          throw DomainError.badInput(
            `amount ${formatDecimal(captured, currency.scale)} is more than the ${formatDecimal(h.amount, currency.scale)} held`,
            [{ field: 'amount', message: 'must be at most the held amount' }],
          );
        // exactly createCharge with CREDIT_ONLY: never fails for lack of credit, what grants miss is debt
        const { charge, movement } = await bookOneOff(em, this.uow.invoices, tx, {
          currency,
          amount: captured,
          description: description ?? h.description ?? `Capture of credit hold ${h.id}`,
          settlementMode: 'CREDIT_ONLY',
          now,
        });
        await holdStore.finish(em, h.id, {
          status: 'CAPTURED',
          at: now,
          capturedAmount: captured,
          movementId: movement!.id,
          chargeId: charge.id,
        });
        return h.id;
      },
    );
    return this.requireHold(found.id);
  }

  async release(holdId: string): Promise<HoldRow> {
    const now = this.clock.now();
    const found = await this.requireHold(holdId);
    await runOnLedger(
      this.em,
      { customerId: found.customerId, currencyId: found.currencyId },
      now,
      null,
      async (_tx, em) => {
        const h = (await holdStore.lock(em, found.id))!;
        const status = holdStatusAt(h, now);
        if (status === 'CAPTURED')
          throw new DomainError(
            ErrorCode.INVALID_STATE,
            `Credit hold ${h.id} is captured; it cannot be released`,
          );
        // a released or expired hold is returned unchanged
        if (status === 'HELD') {
          await holdStore.finish(em, h.id, { status: 'RELEASED', at: now });
          noteChange(em, 'pending', [h.customerId]);
        }
        return h.id;
      },
    );
    return this.requireHold(found.id);
  }
}

function insufficient(pending: Dec, amount: Dec, currency: CurrencyEntity): DomainError {
  const available = formatDecimal(pending, currency.scale);
  return new DomainError(
    ErrorCode.INSUFFICIENT_CREDITS,
    `Only ${available} ${currency.code} is available (pending); cannot hold ${formatDecimal(amount, currency.scale)}`,
    { available },
  );
}
