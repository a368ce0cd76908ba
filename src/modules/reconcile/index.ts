export { ReconcileService } from './service';
export { DriftKind } from './types';
export type { DriftItem, Reconciliation } from './types';
export { formatReconciliation } from './report';
