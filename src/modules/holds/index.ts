export { HoldsService, DEFAULT_HOLD_DURATION } from './service';
export type { CaptureCreditHoldInput, ReserveCreditsInput } from './service';
export { CreditDenialReason } from './checks';
export type { CreditCheckView } from './checks';
export type { CreditForecastView } from './forecast';
export { CheckCache } from './check-cache';
export type { CheckCacheOptions, CheckCacheStats } from './check-cache';
