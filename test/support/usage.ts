/** Kept for the test files that import it from here; the builders live in builders.ts. */
export { subscribeToUnitPlan } from './builders';
