import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

/** The API is the page's own origin: the dashboard is served by Drawdown itself. */
export const httpUrl = () => new URL('/graphql', window.location.href).toString();
export const wsUrl = () => httpUrl().replace(/^http/, 'ws');

export interface Api {
  urql: Client;
  ws: WsClient;
  dispose(): void;
}

export function createApi(token: string): Api {
  const authorization = `Bearer ${token}`;
  const ws = createWsClient({
    url: wsUrl(),
    connectionParams: { authorization },
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** retries, 10_000))),
  });
  const urql = new Client({
    url: httpUrl(),
    fetchOptions: () => ({ headers: { authorization } }),
    requestPolicy: 'cache-and-network',
    // POST only: Apollo's CSRF guard refuses a GET without a preflight header, and a POST keeps keys out of URLs
    preferGetMethod: false,
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        /**
         * A subscription with an `afterSequence` variable resumes where it stopped: graphql-ws sends the
         * same payload object again when it reconnects, so keeping `afterSequence` at the last sequence
         * received makes the server replay exactly the movements the page missed, and none twice.
         */
        forwardSubscription(request) {
          const payload = { query: request.query ?? '', variables: { ...(request.variables ?? {}) } } as {
            query: string;
            variables: Record<string, unknown>;
          };
          return {
            subscribe(sink) {
              const dispose = ws.subscribe(payload, {
                next(result) {
                  const root = result.data ? Object.values(result.data)[0] : undefined;
                  const seq = (root as { sequence?: unknown } | undefined)?.sequence;
                  const last = payload.variables.afterSequence;
                  if (
                    'afterSequence' in payload.variables &&
                    typeof seq === 'number' &&
                    !(typeof last === 'number' && last >= seq)
                  ) {
                    payload.variables.afterSequence = seq;
                  }
                  sink.next(result as never);
                },
                error: (e) => sink.error(e),
                complete: () => sink.complete(),
              });
              return { unsubscribe: dispose };
            },
          };
        },
      }),
    ],
  });
  return { urql, ws, dispose: () => void ws.dispose() };
}
