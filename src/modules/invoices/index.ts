export * from './entities';
export { InvoicesService, checkPaymentTransition } from './service';
