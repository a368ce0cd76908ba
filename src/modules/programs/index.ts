export * from './entities';
export { AllocationsService } from './allocations';
export type { AllocationRun } from './allocations';
export { RolloverService } from './rollover';
export { TopUpService, TOP_UP_TASK, TOP_UP_SWEEP_TASK, topUpJobKey, setTopUpLog } from './top-up-service';
export type { CreditPrice, CreditPriceLookup, TopUpOutcome } from './top-up-service';
export type { SetAutoTopUpInput } from './top-up-rules';
export { CreditPurchases } from './purchases';
export type { IncludedCreditsInput, PurchaseCreditsInput } from './purchases';
