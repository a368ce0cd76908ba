export * from './entities';
export { LedgerService, DUE_TASK } from './service';
export type { AdjustCreditsInput, BalanceView, CreateGrantInput, MovementFilter } from './service';
export { LedgerTx, newGrantState } from './booking';
export { runOnLedger, runOnLedgerGrouped, setLedgerRunnerLog } from './runner';
export type { BookedMovement, GrantState, AllocationDraft } from './store';
export { grantStatusAt, balanceAt } from './views';
