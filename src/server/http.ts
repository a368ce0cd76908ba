import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { WebSocketServer } from 'ws';
import { DomainError } from '../core/errors';
import type { Log } from '../core/log';
import { createContext, type AppDeps, type Context } from '../graphql/context';
import { formatError } from '../graphql/errors';
import { limitRules } from '../graphql/limits';
import { exportRoutes } from './exports';
import { CORS_HEADERS, fastGraphql } from './fast-graphql';
import { landingPagePlugin } from './landing';
import { dashboard, defaultWebDir, explorer } from './web';
import type { Metrics } from './metrics';
import { requestLogging } from './request-log';
import { attachGraphqlWs } from './ws';

/** The listen queue asked for (Linux caps it at net.core.somaxconn, 4096 by default since 5.4). */
const LISTEN_BACKLOG = 4096;

export interface ServerOptions {
  port: number;
  host: string;
  /** Shown pre-filled in the development explorer (GraphiQL), to loopback clients only. */
  sandboxKey?: string | null;
  /** The built dashboard and explorer (default: web/dist of this package). */
  webDir?: string;
  /** Answers whether the database is reachable, for /readyz. */
  ready(): Promise<boolean>;
  /** Served at /metrics (guarded by DRAWDOWN_METRICS); its plugin counts GraphQL operations. */
  metrics?: Metrics;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stop accepting, finish in-flight requests, close sockets with 1001. */
  close(): Promise<void>;
}

export function validationRules(deps: AppDeps): ValidationRule[] {
  const rules = limitRules(deps.config.limits);
  if (deps.config.production) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

/**
 * Apollo would run a subscription sent over HTTP as a query, calling its resolver without an event:
 * subscriptions are answered 400 here and served over WebSocket only.
 */
const subscriptionsOverWebSocketOnly: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== 'subscription') return;
        throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) on this path', {
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        });
      },
    };
  },
};

/** Authenticates a bearer value; an unauthenticated HTTP request answers 401. */
export function authenticate(deps: AppDeps, authorization: string | undefined | null) {
  try {
    return deps.access.authenticate(authorization);
  } catch (e) {
    if (e instanceof DomainError) {
      throw new GraphQLError(e.message, { extensions: { code: e.code, http: { status: 401 } } });
    }
    throw e;
  }
}

export async function startServer(
  deps: AppDeps,
  schema: GraphQLSchema,
  opts: ServerOptions,
  log: Log,
): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  // pino-http: a request id on every log line of a request, echoed as X-Request-Id
  app.use(requestLogging(log));
  // POST /graphql's common case is served by graphql-js directly; everything else goes to express (below)
  const httpServer = http.createServer((req, res) => fast(req, res));

  const ws = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: deps.config.limits.wsMessageBytes,
  });
  const wsHandle = attachGraphqlWs(ws, schema, deps, validationRules(deps), log);
  opts.metrics?.setLive(() => wsHandle.stats());

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !deps.config.production,
    validationRules: validationRules(deps),
    // the same token limit as the WebSocket path: parsing stops there, however long the document
    parseOptions: { maxTokens: deps.config.limits.maxTokens },
    formatError: formatError(log, { production: deps.config.production }),
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // main.ts owns shutdown order
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      subscriptionsOverWebSocketOnly,
      // no HTTP caching of a ledger API: skip the per-field cache-hint bookkeeping
      ApolloServerPluginCacheControlDisabled(),
      landingPagePlugin(),
      ...(opts.metrics ? [opts.metrics.plugin()] : []),
    ],
  });
  await apollo.start();
  const fast = fastGraphql({
    schema,
    deps,
    rules: validationRules(deps),
    log,
    metrics: opts.metrics,
    fallback: app,
  });

  app.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await opts.ready().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'database unavailable' });
  });
  if (opts.metrics) app.get('/metrics', opts.metrics.handler(deps.config, deps.access));
  app.use('/export', exportRoutes(deps, log));
  app.use('/graphql', (req, res, next) => {
    // dashboards call from browsers: allow cross-origin requests carrying a bearer token (no cookies)
    for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });
  const webDir = opts.webDir ?? defaultWebDir();
  app.use('/graphql', explorer(webDir, opts.sandboxKey, deps.config.production));
  app.use(
    '/graphql',
    express.json({ limit: deps.config.limits.bodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req }) => createContext(deps, authenticate(deps, req.headers.authorization)),
    }),
  );
  app.use(dashboard(webDir)); // the SPA at / and its assets; API paths never fall back to it
  app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large') {
      res
        .status(413)
        .json({ errors: [{ message: 'Request body too large', extensions: { code: 'BAD_USER_INPUT' } }] });
      return;
    }
    if (e?.status && e.status >= 400 && e.status < 500) {
      res
        .status(e.status)
        .json({ errors: [{ message: 'Malformed request', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    next(err);
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    // a deep accept queue (the kernel caps it at net.core.somaxconn): with Node's default of 511, a burst of
    // new connections overflowed it and the kernel dropped their SYNs, each retried only after its 1 s timeout
    // (bench/check.ts measured p99 ≈ 1 s from exactly that, and nstat counted the ListenOverflows)
    httpServer.listen({ port: opts.port, host: opts.host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    close() {
      closing ??= (async () => {
        await wsHandle.close();
        await apollo.stop(); // drains HTTP: stops accepting, waits for in-flight requests
      })();
      return closing;
    },
  };
}
