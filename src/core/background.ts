import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Marks work the job runner started (sweeps, due work, deliveries), so that observers of the database
 * traffic a request causes (the tests' query counts, for one) can tell it from the request's own.
 * Everything a marked call starts inherits the mark.
 */
const background = new AsyncLocalStorage<true>();

export function inBackground(): boolean {
  return background.getStore() === true;
}

export function runInBackground<T>(fn: () => T): T {
  return background.run(true, fn);
}
