// The engine's public face: every export here has a caller in modules/ (see README.md).
export { allocateDebit, planRestore } from './drawdown';
export type { GrantSnapshot } from './drawdown';
export {
  dueSteps,
  grantStatus,
  isFundable,
  repayDebt,
  snapshotOf,
  unbookedExpiredCredit,
  unbookedFundedCredit,
  upcomingCredit,
} from './lifecycle';
export type { FundingMethod, GrantStatus, LedgerGrant, PaymentStatus } from './lifecycle';
export { validatePrice, priceQuantity, aggregateStep } from './rating';
export type { Price, Aggregation } from './rating';
export { settleCharge, pendingBalance } from './settlement';
export type { SettlementMode } from './settlement';
export {
  afterShares,
  burnRatePerDay,
  checkCharge,
  expiringCredit,
  pendingOfShares,
  runOutAt,
} from './shares';
export type { CheckChargeResult, HeldShare, LedgerShares, OpenShare } from './shares';
export type { ChargeSnapshot } from './settlement';
