export * from './entities';
export { LedgerService, DUE_TASK } from './service';
export type { AdjustCreditsInput, BalanceView, CreateGrantInput, MovementFilter } from './service';
export { LedgerTx, runOnLedger, runOnLedgerGrouped, newGrantState } from './ledger-tx';
export type { BookedMovement, GrantState, AllocationDraft } from './ledger-tx';
export { grantStatusAt, balanceAt, isExpiredAt, isFundableAt } from './views';
