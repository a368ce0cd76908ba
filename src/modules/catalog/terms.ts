/** A currency as far as settlement terms are concerned. */
export interface CurrencyTerms {
  code: string;
  fiatCode: string | null;
  fiatValue: string | null;
}

/** What credits a charge could not take are invoiced in: a fiat currency and the value of one credit in it. */
export interface SettlementTerms {
  fiatCode: string;
  fiatValue: string;
}

/**
 * The one rule for a charge's fiat terms (SPEC §8: the remainder is "converted to the fiat currency at the
 * currency's (or subscription's) fiat value"). Terms already fixed on the charge win (they were decided
 * when it was written, and a later reader must not decide differently); otherwise a custom currency with a
 * fiat value converts at that value, and any other currency is its own unit at 1. There is no other
 * default: a charge in EUR is never invoiced in USD.
 */
export function settlementTermsOf(
  currency: CurrencyTerms,
  fixed?: { fiatCode: string | null; fiatValue: string | null } | null,
): SettlementTerms {
  if (fixed?.fiatCode != null && fixed.fiatValue != null)
    return { fiatCode: fixed.fiatCode, fiatValue: fixed.fiatValue };
  if (currency.fiatCode !== null && currency.fiatValue !== null)
    return { fiatCode: currency.fiatCode, fiatValue: currency.fiatValue };
  return { fiatCode: currency.code, fiatValue: '1' };
}
