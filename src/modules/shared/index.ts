export { ChangeClock } from './change-clock';
export type { ChangeKind, ChangeObserver } from './change-clock';
export { CursorCodec } from './cursor';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, finishPage, keysetRequest } from './page';
export type { KeysetRequest, Page, PageArgs } from './page';
export { addCommitListener, inTransaction, noteChange } from './tx';
export type { CommittedChanges } from './tx';
