export { SettlementService } from './service';
export type { CreateChargeInput, SettleResult } from './service';
export type { CorrectMovementInput } from './correct';
