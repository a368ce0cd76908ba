import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test run: a new database on DATABASE_URL's server when it is set,
 * else a throwaway embedded PostgreSQL in a temporary directory (what a new user's `npm test` does).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  if (base) {
    const name = `drawdown_test_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async drop() {
        const c = new Client({ connectionString: base });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-test-'));
  fs.chmodSync(dir, 0o755); // the embedded server runs as the postgres user when we are root
  const db = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), persistent: false, fast: true });
  return {
    url: db.url,
    async drop() {
      await db.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
