import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, Problems } from '../../core/errors';
import { Dec, formatDecimal, parseDecimal } from '../../money';
import { CurrencyEntity } from '../catalog';

export type AlertType = 'DEPLETED' | 'DROPPED_BELOW_THRESHOLD' | 'RECOVERED';

export interface Alert {
  type: AlertType;
  threshold: Dec | null;
}

const MAX_THRESHOLDS = 20;

/**
 * The alerts one movement causes, from the settled balance before and after it: each crossing once.
 * DEPLETED when it reaches zero or below, RECOVERED (no threshold) when it comes back above zero;
 * DROPPED_BELOW_THRESHOLD / RECOVERED (with the threshold) when it crosses a threshold down / up.
 */
export function alertsFor(before: Dec, after: Dec, thresholds: readonly Dec[]): Alert[] {
  const out: Alert[] = [];
  if (before.gt(0) && after.lte(0)) out.push({ type: 'DEPLETED', threshold: null });
  if (before.lte(0) && after.gt(0)) out.push({ type: 'RECOVERED', threshold: null });
  for (const t of thresholds) {
    if (before.gte(t) && after.lt(t)) out.push({ type: 'DROPPED_BELOW_THRESHOLD', threshold: t });
    if (before.lt(t) && after.gte(t)) out.push({ type: 'RECOVERED', threshold: t });
  }
  return out;
}

/** A crossing as the API shows it (the scalar fields of `CreditBalanceAlert`): live updates and webhooks. */
export interface CreditBalanceAlertView {
  customerId: string;
  type: AlertType;
  /** The currency code. */
  currency: string;
  threshold: string | null;
  /** The settled balance after the movement that crossed. */
  balance: string;
  at: Date;
}

/** The alerts of one movement (`alertsFor`) in the API's shape, amounts at the currency's scale. */
export function alertViews(
  customerId: string,
  currency: { code: string; scale: number },
  movement: { balanceBefore: Dec; balanceAfter: Dec; bookedAt: Date },
  thresholds: readonly Dec[],
): CreditBalanceAlertView[] {
  return alertsFor(movement.balanceBefore, movement.balanceAfter, thresholds).map((a) => ({
    customerId,
    type: a.type,
    currency: currency.code,
    threshold: a.threshold ? formatDecimal(a.threshold, currency.scale) : null,
    balance: formatDecimal(movement.balanceAfter, currency.scale),
    at: movement.bookedAt,
  }));
}

/** Thresholds of several customers in the caller's transaction, keyed `customerId|currencyId`. */
export async function thresholdsOf(
  em: EntityManager,
  customerIds: readonly string[],
): Promise<Map<string, Dec[]>> {
  if (customerIds.length === 0) return new Map();
  const rows = await em.execute<{ customer_id: string; currency_id: string; thresholds: string[] }[]>(
    `select customer_id, currency_id, thresholds::text[] as thresholds from credit_alert_threshold
      where customer_id in (${customerIds.map(() => '?').join(', ')})`,
    [...customerIds],
  );
  return new Map(rows.map((r) => [`${r.customer_id}|${r.currency_id}`, r.thresholds.map((t) => new Dec(t))]));
}

export class AlertsService {
  constructor(private readonly em: EntityManager) {}

  /** Replaces a customer's thresholds for one currency; returns them ascending at the currency scale. */
  async setThresholds(customerId: string, currencyCode: string, thresholds: string[]): Promise<string[]> {
    const currency = await this.em.findOne(CurrencyEntity, { code: currencyCode });
    if (!currency) throw DomainError.badInput(`unknown currency ${currencyCode}`);
    const problems = new Problems();
    if (thresholds.length > MAX_THRESHOLDS)
      problems.add('thresholds', `at most ${MAX_THRESHOLDS} thresholds`);
    const parsed = thresholds
      .map((t, i) =>
        problems.check(`thresholds[${i}]`, () =>
          parseDecimal(t, { scale: currency.scale, field: `thresholds[${i}]` }),
        ),
      )
      .filter((d): d is Dec => d !== undefined);
    problems.throwIfAny();
    const unique = [...new Map(parsed.map((d) => [d.toFixed(), d])).values()].sort((a, b) => a.cmp(b));
    await this.em.execute(
      `insert into credit_alert_threshold (customer_id, currency_id, thresholds) values (?, ?, ?::numeric[])
       on conflict (customer_id, currency_id) do update set thresholds = excluded.thresholds, updated_at = now()`,
      [customerId, currency.id, `{${unique.map((d) => d.toFixed()).join(',')}}`],
    );
    return unique.map((d) => formatDecimal(d, currency.scale));
  }

  /** Thresholds per currency id for one customer. */
  async thresholds(customerId: string): Promise<Map<string, Dec[]>> {
    const rows = await this.em.execute<{ currency_id: string; thresholds: string[] }[]>(
      `select currency_id, thresholds::text[] as thresholds from credit_alert_threshold where customer_id = ?`,
      [customerId],
    );
    return new Map(rows.map((r) => [r.currency_id, r.thresholds.map((t) => new Dec(t))]));
  }
}
