import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, inject } from 'vitest';
import { startDrawdown, type Drawdown } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Clock } from '../../src/core/clock';
import { createLog } from '../../src/core/log';

export const ADMIN_KEY = 'test-admin-key';

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown }; path?: string[] }[];
}

export interface TestApp {
  app: Drawdown;
  url: string;
  wsUrl: string;
  /** Runs a typed document over HTTP; `token` defaults to the admin key, null sends no header. */
  gql<R, V>(doc: TypedDocumentNode<R, V>, variables?: V, token?: string | null): Promise<GqlResult<R>>;
  /** Raw query text, for documents the typed client cannot express (hostile queries). */
  raw<R = unknown>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GqlResult<R>>;
  /** Like gql but fails the test on any error and returns data. */
  ok<R, V>(doc: TypedDocumentNode<R, V>, variables?: V, token?: string | null): Promise<R>;
  stop(): Promise<void>;
}

export async function startTestApp(
  env: Record<string, string> = {},
  onQuery?: (sql: string) => void,
  /** A controlled clock for the services (the model test moves time by hand). */
  clock?: Clock,
): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-app-'));
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    DRAWDOWN_API_KEYS: ADMIN_KEY,
    DRAWDOWN_DATA_DIR: dataDir,
    DRAWDOWN_MIGRATE: 'false',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    // automatic settlement is tested on its own; elsewhere it would race the assertions
    DRAWDOWN_SETTLE_INTERVAL: '3600s',
    // likewise allocations: test files share one database, and a sweep in every app would keep granting to
    // the short-cadence subscriptions an earlier file left behind (the allocation tests turn it on)
    DRAWDOWN_PROGRAMS_INTERVAL: '0',
    ...env,
  });
  const app = await startDrawdown(config, createLog(config.logLevel), { onQuery, clock });
  const url = app.url;
  const raw = async <R>(
    query: string,
    variables?: Record<string, unknown>,
    token: string | null = ADMIN_KEY,
  ) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GqlResult<R>;
    return { ...body, status: res.status };
  };
  const gql = <R, V>(doc: TypedDocumentNode<R, V>, variables?: V, token?: string | null) =>
    raw<R>(print(doc), variables as Record<string, unknown> | undefined, token);
  return {
    app,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    gql,
    raw,
    async ok(doc, variables, token) {
      const res = await gql(doc, variables, token);
      if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
      return res.data!;
    },
    async stop() {
      await app.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A key unique within this run, so test files sharing one database never collide. */
export function uniq(prefix: string): string {
  counter++;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/** A unique upper-case currency code (2-16 chars). */
export function uniqCode(prefix = 'C'): string {
  counter++;
  return `${prefix}${(Date.now() % 1e8).toString(36).toUpperCase()}${counter}`.slice(0, 16);
}

export function codeOf(res: GqlResult<unknown>): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}

/**
 * Starts one app for the calling test file (beforeAll) and stops it after (afterAll). The returned object
 * forwards to the running app, so tests can use it directly.
 */
export function useTestApp(env: Record<string, string> = {}): TestApp {
  let current: TestApp | undefined;
  beforeAll(async () => {
    current = await startTestApp(env);
  });
  afterAll(async () => {
    await current?.stop();
  });
  const need = () => {
    if (!current) throw new Error('the test app is not started yet (use it inside tests or hooks)');
    return current;
  };
  return {
    get app() {
      return need().app;
    },
    get url() {
      return need().url;
    },
    get wsUrl() {
      return need().wsUrl;
    },
    gql: (doc, variables, token) => need().gql(doc, variables, token),
    raw: (query, variables, token) => need().raw(query, variables, token),
    ok: (doc, variables, token) => need().ok(doc, variables, token),
    stop: () => need().stop(),
  };
}
