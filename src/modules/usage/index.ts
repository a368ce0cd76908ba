export * from './entities';
export { ingestUsage, MAX_BATCH } from './ingest';
export type { IngestResult, RejectedEvent, UsageEventInput } from './ingest';
export { ChargesService } from './charges';
