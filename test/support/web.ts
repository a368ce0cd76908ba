import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Builds the dashboard and explorer into web/dist unless they are up to date with web/ (npm test has
 * already built them; a test file run on its own may not have). Asynchronous, so the test worker keeps
 * answering vitest while a build runs. Use in beforeAll with BUILD_TIMEOUT.
 */
export async function ensureWebBuilt(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.resolve(__dirname, '../../web/build.mjs')]);
}

/** A first build of GraphiQL's editor (monaco) takes minutes on a busy 2-core machine. */
export const BUILD_TIMEOUT = 600_000;
