import { createHash } from 'node:crypto';
import {
  GraphQLError,
  createSourceEventStream,
  getOperationAST,
  type ExecutionResult,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { CloseCode, type SubscribePayload } from 'graphql-ws';
import type { WebSocketServer } from 'ws';
import { DomainError } from '../core/errors';
import { serializedResult, sharedSubscribe, type DirectDelivery } from '../events/shared';
import type { Log } from '../core/log';
import type { Principal } from '../modules/access';
import { createContext, type AppDeps } from '../graphql/context';
import { formatError } from '../graphql/errors';
import { preparedPayload, useServer, type WsExtra } from './ws-binding';

const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * A socket whose unsent frames pass this stops getting direct deliveries: its subscriptions fail with
 * "subscriber is not reading" (some 15,000 balance updates, the order of the feeds' queue bound of 10,000).
 */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

type Extra = {
  principal?: Principal;
  /** Digest of the bearer token: the per-token subscription budget is counted under it. */
  principalKey?: string;
  /** Subscriptions open or starting on this socket, by their subscribe payload (ids may be reused). */
  live?: Set<SubscribePayload>;
  expiryTimer?: NodeJS.Timeout;
} & Partial<WsExtra> &
  Record<PropertyKey, unknown>;

/**
 * graphql-ws on the shared `/graphql` path. Auth happens once in `connection_init`; each operation is
 * parsed and validated here with the same depth and cost rules as HTTP (graphql-ws does not apply
 * Apollo's), and gets its own context. A customer token's socket is closed with 4403 when it expires.
 */
export function attachGraphqlWs(
  wss: WebSocketServer,
  schema: GraphQLSchema,
  deps: AppDeps,
  extraRules: ValidationRule[],
  log: Log,
) {
  const rules = [...specifiedRules, ...extraRules];
  const format = formatError((level, msg, extra) => log(level, msg, extra), {
    production: deps.config.production,
  });
  const toGraphQLErrors = (errors: readonly GraphQLError[]) =>
    errors.map((e) => {
      const f = format(e.toJSON(), e);
      return new GraphQLError(f.message, { extensions: f.extensions });
    });

  const { maxSubscriptionsPerSocket, maxSubscriptionsPerToken } = deps.config.limits;
  /** Open and starting subscriptions per token digest, over every socket of this process. */
  const perToken = new Map<string, number>();
  /** The socket, id and message of each subscription about to start, by its context value. */
  const starting = new WeakMap<object, { extra: Extra; id: string; payload: SubscribePayload }>();
  /** A `next` message's payload as JSON: shared by every subscription with the same result, unless it has errors. */
  const nextPayload = (result: ExecutionResult): string => {
    if (!result.errors) return serializedResult(result);
    const errors = result.errors.map((e) => format(e.toJSON(), e));
    return JSON.stringify({ ...result, errors });
  };
  /** Results of a starting subscription written straight to its socket (events/shared.ts, DirectDelivery). */
  const directTo = (extra: Extra, id: string): DirectDelivery => {
    const head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    return {
      send: (result) => extra.sendFrame!(`${head}${nextPayload(result)}}`),
      congested: () => extra.socket!.bufferedAmount > MAX_BUFFERED_BYTES,
    };
  };
  const release = (extra: Extra, payload: SubscribePayload) => {
    if (!extra.live?.delete(payload)) return;
    const n = (perToken.get(extra.principalKey!) ?? 1) - 1;
    if (n > 0) perToken.set(extra.principalKey!, n);
    else perToken.delete(extra.principalKey!);
  };
  /** Counts a new subscription against its socket and token, or says which cap it is over. */
  const admit = (extra: Extra, payload: SubscribePayload): GraphQLError | null => {
    const live = (extra.live ??= new Set());
    const key = extra.principalKey!;
    const tooMany = (max: number, where: string) =>
      new GraphQLError(
        `Too many subscriptions ${where} (at most ${max}); complete one before starting another`,
        {
          extensions: { code: 'BAD_USER_INPUT' },
        },
      );
    if (live.size >= maxSubscriptionsPerSocket) return tooMany(maxSubscriptionsPerSocket, 'per socket');
    if ((perToken.get(key) ?? 0) >= maxSubscriptionsPerToken)
      return tooMany(maxSubscriptionsPerToken, 'per token');
    live.add(payload);
    perToken.set(key, (perToken.get(key) ?? 0) + 1);
    return null;
  };

  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      // a subscription's start (authorization, first balances) reads the database: it waits its turn in the
      // feeds' gate, per socket, and is skipped when the client completed it or left while it waited
      subscribe: (args) => {
        const s = starting.get(args.contextValue as object);
        if (!s) return sharedSubscribe(args, async () => createSourceEventStream(args));
        return sharedSubscribe(
          args,
          () =>
            deps.feeds.gate.run(s.extra, async () =>
              s.extra.live?.has(s.payload) ? createSourceEventStream(args) : { data: null },
            ),
          directTo(s.extra, s.id),
        );
      },
      connectionInitWaitTimeout: 10_000,
      onConnect: (ctx) => {
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          const principal = deps.access.authenticate(typeof raw === 'string' ? raw : null);
          const extra = ctx.extra as Extra;
          extra.principal = principal;
          const bearer = (raw as string).trim().replace(/^Bearer\s+/i, '');
          extra.principalKey = createHash('sha256').update(bearer).digest('base64url');
          if (principal.kind === 'customer') {
            // setTimeout caps at about 24.8 days: re-arm until the real expiry
            const arm = () => {
              const ms = principal.expiresAt.getTime() - deps.clock.now().getTime();
              extra.expiryTimer = setTimeout(
                () =>
                  ms > MAX_TIMER_MS ? arm() : ctx.extra.socket.close(CloseCode.Forbidden, 'Token expired'),
                Math.min(Math.max(0, ms), MAX_TIMER_MS),
              );
              extra.expiryTimer.unref();
            };
            arm();
          }
          return true;
        } catch (e) {
          if (e instanceof DomainError) return false; // closes with 4403 Forbidden
          throw e;
        }
      },
      onClose: (ctx) => {
        const extra = ctx.extra as Extra;
        if (extra.expiryTimer) clearTimeout(extra.expiryTimer);
        for (const payload of [...(extra.live ?? [])]) release(extra, payload);
      },
      onComplete: (ctx, _id, payload) => {
        release(ctx.extra as Extra, payload);
      },
      onSubscribe: (ctx, id, payload) => {
        const principal = (ctx.extra as Extra).principal!;
        let document;
        try {
          document = parse(payload.query, { maxTokens: deps.config.limits.maxTokens });
        } catch (e) {
          // as over HTTP: a syntax error (or too many tokens) is GRAPHQL_PARSE_FAILED, not an internal error
          const message = e instanceof Error ? e.message : String(e);
          return toGraphQLErrors([
            new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
          ]);
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) {
          // as over HTTP: a document that fails validation is GRAPHQL_VALIDATION_FAILED unless a rule set a code
          return toGraphQLErrors(
            errors.map((e) =>
              e.extensions?.code
                ? e
                : new GraphQLError(e.message, {
                    nodes: e.nodes,
                    extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
                  }),
            ),
          );
        }
        // as over HTTP: a variable that does not coerce to its type is the client's input (BAD_USER_INPUT)
        const operation = getOperationAST(document, payload.operationName);
        if (operation) {
          const coerced = getVariableValues(
            schema,
            operation.variableDefinitions ?? [],
            payload.variables ?? {},
          );
          if (coerced.errors) {
            return toGraphQLErrors(
              coerced.errors.map(
                (e) =>
                  new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT' } }),
              ),
            );
          }
        }
        const contextValue = createContext(deps, principal);
        if (operation?.operation === 'subscription') {
          const extra = ctx.extra as Extra;
          const refused = admit(extra, payload);
          if (refused) return toGraphQLErrors([refused]);
          starting.set(contextValue, { extra, id, payload });
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      onError: (_ctx, _id, _payload, errors) => {
        return toGraphQLErrors(errors);
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        // serialized once for every subscription sharing the result (events/shared.ts), sent as is per socket
        preparedPayload(nextPayload(result as ExecutionResult)),
    },
    wss,
    {
      keepAliveMs: 30_000,
      production: deps.config.production,
      onInternalError: (err) => log('warn', 'graphql-ws socket closed on an error', { error: String(err) }),
    },
  );

  return {
    /** For the metrics: open sockets, and subscriptions open or starting on them. */
    stats() {
      let subscriptions = 0;
      for (const n of perToken.values()) subscriptions += n;
      return { sockets: wss.clients.size, subscriptions };
    },
    async close() {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
