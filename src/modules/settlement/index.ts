export { SettlementService, bookOneOff } from './service';
export type { CreateChargeInput, OneOffCharge, SettleResult } from './service';
export type { CorrectMovementInput } from './correct';
