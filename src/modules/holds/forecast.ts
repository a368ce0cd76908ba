import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../../core/errors';
import { afterShares, burnRatePerDay, expiringCredit, pendingOfShares, runOutAt } from '../../engine';
import { type Dec, ZERO } from '../../money';
import { CurrencyEntity } from '../catalog';
import { consumedBetween } from '../ledger';
import { readShares } from './shares';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export interface CreditForecastView {
  currency: CurrencyEntity;
  expiring: { grantId: string; at: Date; amount: Dec }[];
  burnRatePerDay: Dec;
  runOutAt: Date | null;
}

/**
 * SPEC §16 `Customer.creditForecast`: the expiry schedule of available credit, the net burn rate of the last
 * 7 × 24 hours and the instant `pending` runs out at that rate (engine: `expiringCredit`, `burnRatePerDay`,
 * `runOutAt` after `afterShares`). Reads only.
 */
export async function creditForecast(
  em: EntityManager,
  asOf: Date,
  customerId: string,
  currencyCode: string,
): Promise<CreditForecastView> {
  const currency = await em.findOne(CurrencyEntity, { code: currencyCode });
  if (!currency) throw DomainError.badInput(`unknown currency ${currencyCode}`);
  const read = await readShares(em, customerId, currency, asOf);
  if (!read.ledger) return { currency, expiring: [], burnRatePerDay: ZERO, runOutAt: null };
  const { consumed, corrected } = await consumedBetween(
    em,
    read.ledger.id,
    new Date(asOf.getTime() - WEEK_MS),
    asOf,
  );
  const rate = burnRatePerDay({ consumed, corrected, scale: currency.scale });
  return {
    currency,
    expiring: expiringCredit(read.shares.grants, asOf),
    burnRatePerDay: rate,
    runOutAt: runOutAt({
      asOf,
      pending: pendingOfShares(read.shares),
      grants: afterShares(read.shares).grants,
      ratePerDay: rate,
    }),
  };
}
