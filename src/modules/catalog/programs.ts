import type { EntityManager } from '@mikro-orm/postgresql';
import { parseIsoDuration } from '../../core/duration';
import type { Problems } from '../../core/errors';
import { IdPrefix, newId } from '../../core/ids';
import { formatDecimal, parseDecimal } from '../../money';
import { CreditAllocationEntity, type CurrencyEntity, type PlanEntity } from './entities';
import { fiatScale, isFiatCode } from './iso4217';

/**
 * A plan's credit program (SPEC §14): recurring allocations and purchase rules, validated with the plan
 * (every problem collected into the plan's one BAD_USER_INPUT) and written in its transaction.
 */

export interface CreditAllocationInput {
  amount: string;
  cadence?: string | null;
  priority?: number | null;
  expiresAfter?: string | null;
  rolloverCap?: string | null;
}

export interface CreditPurchaseInput {
  currency: string;
  unitPrice: string;
  minAmount?: string | null;
  maxAmount?: string | null;
}

/** What a plan stores of its program once validated. */
export interface PlanProgram {
  allocations: Omit<CreditAllocationEntity, 'id' | 'planId' | 'position'>[];
  purchase: {
    creditPurchaseCurrency: string;
    creditUnitPrice: string;
    creditMinAmount: string | null;
    creditMaxAmount: string | null;
  } | null;
}

const MAX_ALLOCATIONS = 20;

/** Durations of a credit program: as short as one second (test cadences), never zero. */
export function parseProgramDuration(text: string, what: string) {
  return parseIsoDuration(text, { what, minSeconds: 1 });
}

/**
 * Validates allocations and purchase rules against the plan's currency (amounts at its scale) and billing
 * cadence (the default cadence). `currency` null: the plan's currency is unknown, already reported.
 */
export function parsePlanProgram(
  input: { creditAllocations?: CreditAllocationInput[] | null; creditPurchase?: CreditPurchaseInput | null },
  currency: CurrencyEntity | null,
  billingCadence: string,
  problems: Problems,
): PlanProgram {
  const scale = currency?.scale ?? null;
  const credits = (field: string, v: string, opts: { positive?: boolean; nonNegative?: boolean }) =>
    scale === null ? undefined : problems.check(field, () => parseDecimal(v, { scale, field, ...opts }));
  const list = input.creditAllocations ?? [];
  if (list.length > MAX_ALLOCATIONS) problems.add('creditAllocations', `at most ${MAX_ALLOCATIONS}`);
  const allocations = list.map((a, i) => {
    const f = `creditAllocations[${i}]`;
    const amount = credits(`${f}.amount`, a.amount, { positive: true });
    const cadence = a.cadence ?? billingCadence;
    if (a.cadence != null) problems.check(`${f}.cadence`, () => parseProgramDuration(a.cadence!, 'cadence'));
    const priority = a.priority ?? 10;
    if (!Number.isInteger(priority) || priority < 1 || priority > 1000)
      problems.add(`${f}.priority`, 'must be an integer from 1 to 1000');
    if (a.expiresAfter != null)
      problems.check(`${f}.expiresAfter`, () => parseProgramDuration(a.expiresAfter!, 'expiresAfter'));
    const cap =
      a.rolloverCap == null ? null : credits(`${f}.rolloverCap`, a.rolloverCap, { nonNegative: true });
    return {
      amount: amount && scale !== null ? formatDecimal(amount, scale) : '0',
      cadence,
      cadenceGiven: a.cadence != null,
      priority,
      expiresAfter: a.expiresAfter ?? null,
      rolloverCap: cap && scale !== null ? formatDecimal(cap, scale) : null,
    };
  });
  return { allocations, purchase: parsePurchase(input.creditPurchase ?? null, credits, problems) };
}

function parsePurchase(
  p: CreditPurchaseInput | null,
  credits: (
    field: string,
    v: string,
    opts: { positive?: boolean },
  ) => ReturnType<typeof parseDecimal> | undefined,
  problems: Problems,
): PlanProgram['purchase'] {
  if (!p) return null;
  const f = 'creditPurchase';
  const fiat = isFiatCode(p.currency);
  if (!fiat) problems.add(`${f}.currency`, `${p.currency} is not a fiat currency`);
  const unitPrice = fiat
    ? problems.check(`${f}.unitPrice`, () =>
        parseDecimal(p.unitPrice, { scale: fiatScale(p.currency), positive: true, field: `${f}.unitPrice` }),
      )
    : undefined;
  const min = p.minAmount == null ? null : credits(`${f}.minAmount`, p.minAmount, { positive: true });
  const max = p.maxAmount == null ? null : credits(`${f}.maxAmount`, p.maxAmount, { positive: true });
  if (min && max && min.gt(max)) problems.add(`${f}.minAmount`, 'must not be greater than maxAmount');
  return {
    creditPurchaseCurrency: p.currency,
    creditUnitPrice: unitPrice ? unitPrice.toFixed() : '0',
    creditMinAmount: min ? min.toFixed() : null,
    creditMaxAmount: max ? max.toFixed() : null,
  };
}

/** Writes a validated program onto a new plan in its transaction, after the plan row was flushed. */
export function persistPlanProgram(em: EntityManager, plan: PlanEntity, program: PlanProgram): void {
  if (program.purchase) Object.assign(plan, program.purchase);
  program.allocations.forEach((a, position) => {
    em.persist(
      em.create(CreditAllocationEntity, {
        id: newId(IdPrefix.CreditAllocation),
        planId: plan.id,
        position,
        ...a,
      }),
    );
  });
}

/** Allocations of plans, in position order. */
export async function allocationsOfPlans(
  em: EntityManager,
  planIds: readonly string[],
): Promise<Map<string, CreditAllocationEntity[]>> {
  const rows = await em.find(
    CreditAllocationEntity,
    { planId: { $in: [...planIds] } },
    { orderBy: { planId: 'asc', position: 'asc' } },
  );
  const out = new Map<string, CreditAllocationEntity[]>(planIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.planId)?.push(r);
  return out;
}
