export * from './entities';
export { AllocationsService } from './allocations';
export type { AllocationRun } from './allocations';
export { RolloverService } from './rollover';
