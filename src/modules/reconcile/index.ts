export { ReconcileService, DriftKind, formatReconciliation } from './service';
export type { DriftItem, Reconciliation } from './service';
