export * from './entities';
export { LedgerService, DUE_TASK } from './service';
export type {
  AdjustCreditsInput,
  BalanceView,
  CreateGrantInput,
  CreateGrantOptions,
  MovementFilter,
} from './service';
export { LedgerTx } from './booking';
export { runOnLedger, runOnLedgerGrouped, setLedgerRunnerLog } from './runner';
export { readLedger } from './store';
export type { BookedMovement, AllocationDraft, LockedLedger } from './store';
export { grantStatusAt } from './views';
export { HoldStatus, holdStatusAt, holdStore } from './holds';
export type { ActiveHold, HoldFilter, HoldRow } from './holds';
export { consumedBetween } from './burn';
