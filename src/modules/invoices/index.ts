export * from './entities';
export { InvoicesService, checkPaymentTransition } from './service';
export type { UsageLineInput } from './usage-lines';
