export * from './entities';
export { UsageService, MAX_BATCH } from './ingest';
export type { IngestResult } from './ingest';
export type { UsageEventInput } from './screen';
export { RejectionCode } from './rejections';
export type { RejectedEvent } from './rejections';
export { ChargesService } from './charges';
export { chargeStore } from './charge-store';
export type { ChargeSettlement, OpenCharge } from './charge-store';
