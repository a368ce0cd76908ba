import {
  GraphQLError,
  createSourceEventStream,
  execute,
  getOperationAST,
  getVariableValues,
  parse,
  print,
  specifiedRules,
  validate,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocketServer } from 'ws';
import { DomainError } from '../core/errors';
import type { Log } from '../core/log';
import type { Principal } from '../modules/access';
import { createContext, type AppDeps } from '../graphql/context';
import { formatError } from '../graphql/errors';

const MAX_TIMER_MS = 2 ** 31 - 1;

type Extra = {
  principal?: Principal;
  expiryTimer?: NodeJS.Timeout;
} & Record<PropertyKey, unknown>;

/** Execution results per source event, per (document, variables): see sharedSubscribe. */
const executions = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

/**
 * graphql's `subscribe`, except that an event object delivered to many subscriptions of the same document
 * and variables (one customer's feed hands the same update to all its dashboards) is executed once, and
 * every one of those subscriptions gets that result.
 */
async function sharedSubscribe(args: ExecutionArgs) {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const key = print(args.document) + '\u0000' + JSON.stringify(args.variableValues ?? {});
  const run = (event: unknown): Promise<ExecutionResult> => {
    const exec = () => Promise.resolve(execute({ ...args, rootValue: event }));
    if (typeof event !== 'object' || event === null) return exec();
    let byKey = executions.get(event);
    if (!byKey) executions.set(event, (byKey = new Map()));
    let result = byKey.get(key);
    if (!result) byKey.set(key, (result = exec()));
    return result;
  };
  async function* results() {
    for await (const event of stream as AsyncIterable<unknown>) yield await run(event);
  }
  return results();
}

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

  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      subscribe: sharedSubscribe,
      connectionInitWaitTimeout: 10_000,
      onConnect: (ctx) => {
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          const principal = deps.access.authenticate(typeof raw === 'string' ? raw : null);
          const extra = ctx.extra as Extra;
          extra.principal = principal;
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
      },
      onSubscribe: (ctx, _id, payload) => {
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
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: createContext(deps, principal),
        };
      },
      onError: (_ctx, _id, _payload, errors) => {
        return toGraphQLErrors(errors);
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors) return result;
        return {
          ...result,
          errors: result.errors.map((e) => {
            const err = e as GraphQLError;
            return format(err.toJSON(), err);
          }),
        };
      },
    },
    wss,
    30_000, // keep-alive ping interval
  );

  return {
    async close() {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
