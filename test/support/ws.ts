import { createClient, type Client, type FormattedExecutionResult as ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN_KEY } from './app';

export interface WsClient {
  client: Client;
  /** Resolves with the close event code once the socket closes. */
  closed: Promise<number>;
  dispose(): Promise<void>;
}

export function wsClient(url: string, token: string | null = ADMIN_KEY): WsClient {
  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((r) => (resolveClosed = r));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (e) => resolveClosed((e as { code: number }).code) },
    onNonLazyError: () => undefined,
  });
  return {
    client,
    closed,
    async dispose() {
      await client.dispose();
    },
  };
}

/** Runs one operation over the socket and returns its first result (or the error list it failed with). */
export function wsOnce<T = unknown>(
  c: Client,
  query: string,
  variables?: Record<string, unknown>,
): Promise<ExecutionResult<T, unknown>> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult<T, unknown> | undefined;
    const dispose = c.subscribe<T>(
      { query, variables },
      {
        next: (r) => {
          result = r;
          dispose();
          resolve(r);
        },
        error: (e) => {
          if (Array.isArray(e)) resolve({ errors: e } as ExecutionResult<T, unknown>);
          else reject(e instanceof Error ? e : new Error(JSON.stringify(e)));
        },
        complete: () => {
          if (!result) resolve({} as ExecutionResult<T, unknown>);
        },
      },
    );
  });
}

export interface Collector<T> {
  items: T[];
  errors: unknown[];
  /** Resolves once `n` items arrived (rejects after `ms`). */
  until(n: number, ms?: number): Promise<T[]>;
  stop(): void;
}

/** Subscribes and collects every result's data. */
export function collect<T>(c: Client, query: string, variables: Record<string, unknown>): Collector<T> {
  const items: T[] = [];
  const errors: unknown[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const dispose = c.subscribe<T>(
    { query, variables },
    {
      next: (r) => {
        if (r.errors) errors.push(...r.errors);
        if (r.data) items.push(r.data as T);
        for (const w of [...waiters]) if (items.length >= w.n) w.resolve();
      },
      error: (e) => errors.push(e),
      complete: () => undefined,
    },
  );
  return {
    items,
    errors,
    until(n, ms = 5000) {
      if (items.length >= n) return Promise.resolve(items);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${items.length} of ${n} updates; errors: ${JSON.stringify(errors)}`)),
          ms,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(items);
          },
        });
      });
    },
    stop: dispose,
  };
}
