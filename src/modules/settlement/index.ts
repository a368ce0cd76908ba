export { SettlementService } from './service';
export type { CorrectMovementInput, CreateChargeInput, SettleResult } from './service';
