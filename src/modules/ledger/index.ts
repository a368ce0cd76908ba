export * from './entities';
export { LedgerService, DUE_TASK } from './service';
export { KeptHistory } from './kept-history';
export type {
  AdjustCreditsInput,
  BalanceView,
  CreateGrantInput,
  CreateGrantOptions,
  MovementFilter,
  MovementPage,
} from './service';
export { LedgerTx } from './booking';
export type { MovementView } from './rows';
export { runOnLedger, runOnLedgerGrouped, setLedgerRunnerLog } from './runner';
export { GRANT_STATE_COLUMNS, LEDGER_READ_COLUMNS, readLedger, toLockedLedger } from './store';
export type { BookedMovement, AllocationDraft, LockedLedger } from './store';
export type { MovementCursor } from './balance-sql';
export { grantStatusAt } from './views';
export { ACTIVE_HOLD_COLUMNS, HoldStatus, holdStatusAt, holdStore, toActiveHold } from './holds';
export type { ActiveHold, HoldFilter, HoldRow } from './holds';
export { consumedBetween } from './burn';
