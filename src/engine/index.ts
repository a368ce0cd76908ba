// The engine's public face: every export here has a caller in modules/ (see README.md); what only the
// engine itself and its tests use is imported from its own file (test/unit/structure.test.ts holds this).
export { allocateDeduction, planRestore } from './drawdown';
export type { GrantSnapshot } from './drawdown';
export {
  applyDue,
  dueSteps,
  fundingOf,
  grantStatus,
  isFundable,
  snapshotOf,
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
