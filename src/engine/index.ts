export {
  compareDrawdown,
  isLiveAt,
  paysFeature,
  usableGrants,
  allocateDebit,
  planRestore,
  repayDebt,
} from './drawdown';
export type {
  GrantSnapshot,
  GrantAmount,
  UsableGrantsOptions,
  AllocateDebitInput,
  AllocateDebitResult,
  ConsumedPortion,
  PlanRestoreInput,
  PlanRestoreResult,
  RepayDebtInput,
  RepayDebtResult,
} from './drawdown';
export { dueExpiries, unbookedExpiredCredit } from './expiry';
export type { DueExpiry } from './expiry';
export { validatePrice, priceQuantity, aggregate, aggregateStep } from './rating';
export type { Price, PriceTier, Aggregation } from './rating';
export { settleCharge, pendingAfter, pendingBalance } from './settlement';
export type {
  SettlementMode,
  ChargeSnapshot,
  SettleChargeInput,
  SettleChargeResult,
  SettlementAllocation,
} from './settlement';
