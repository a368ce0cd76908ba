import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  execute,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { pino, type Logger } from 'pino';
import { withRequestLogger, type Log } from '../core/log';
import { createContext, type AppDeps } from '../graphql/context';
import { formatError } from '../graphql/errors';
import type { Metrics } from './metrics';
import { requestIdOf } from './request-log';

/** Documents kept parsed and validated (by their text); the least recently used go first. */
const MAX_DOCUMENTS = 1_000;
/** Longer documents are still served here, but not kept. */
const MAX_KEPT_QUERY_CHARS = 16_384;
const JSON_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, apollo-require-preflight',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
};

type Fallback = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Requests this process answered on the fast path (the rest went to Apollo), and how many of those ran a
 * compiled document; read by tests and operators.
 */
export const fastPathStats = { served: 0, compiled: 0 };

/** A parsed and validated document, how often it was asked for, and its operations compiled by name. */
interface KeptDocument {
  document: DocumentNode;
  uses: number;
  compiled: Map<string, CompiledQuery | null>;
}

interface Body {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

export interface FastGraphqlOptions {
  schema: GraphQLSchema;
  deps: AppDeps;
  /** The same rules Apollo and the WebSocket path validate with (beyond graphql's own). */
  rules: ValidationRule[];
  log: Log;
  metrics?: Metrics;
  /** The express app: everything this path does not serve goes there, unchanged. */
  fallback: Fallback;
}

/**
 * The hot path of `POST /graphql` (issue 14: the per-request cost of the read path and of hot mutations).
 *
 * It serves the common request — a JSON body `{ query, variables?, operationName? }` of a valid query or
 * mutation with a good bearer token — with graphql-js directly: the document parsed and validated once per
 * text and kept, the context built, the operation executed, the answer serialized once. Everything else
 * goes to the express app and Apollo exactly as before, so what clients see on every other path (GET,
 * batches, other content types, bad JSON shapes, parse and validation errors, bad tokens, subscriptions,
 * variables that do not coerce) is Apollo's answer: the fast path hands a request over whenever the answer
 * would not be a plain execution result. Execution errors are shaped by the same `formatError`, counted by
 * the same metrics, and each request gets the same X-Request-Id and "request completed" log line.
 */
export function fastGraphql(opts: FastGraphqlOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { schema, deps, log, metrics, fallback } = opts;
  const rules = [...specifiedRules, ...opts.rules];
  const { bodyBytes, maxTokens } = deps.config.limits;
  const format = formatError(log, { production: deps.config.production });
  const logger: Logger = log.pino ?? pino({ level: 'silent' });
  const documents = new Map<string, KeptDocument>();

  /**
   * The parsed and validated document with its uses, or null when Apollo should answer (parse or validation
   * errors). Kept by text, the least recently used dropped first; a document too long to keep is not counted.
   */
  const documentOf = (query: string): KeptDocument | null => {
    const kept = documents.get(query);
    if (kept) {
      documents.delete(query);
      documents.set(query, kept);
      kept.uses++;
      return kept;
    }
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens });
    } catch {
      return null;
    }
    if (validate(schema, document, rules).length > 0) return null;
    const made: KeptDocument = { document, uses: 1, compiled: new Map() };
    if (query.length <= MAX_KEPT_QUERY_CHARS) {
      documents.set(query, made);
      if (documents.size > MAX_DOCUMENTS) documents.delete(documents.keys().next().value as string);
    }
    return made;
  };

  /**
   * The document's operation compiled to a plain function (graphql-jit) from its second use on: compiling costs
   * more than one execution, so a document sent once (or a client sending a new one each time) is only
   * executed. Null: execute with graphql-js (not yet used twice, or graphql-jit could not compile it).
   */
  const compiledOf = (kept: KeptDocument, name: string | undefined): CompiledQuery | null => {
    if (kept.uses < 2) return null;
    const key = name ?? '';
    if (!kept.compiled.has(key)) {
      const made = compileQuery(schema, kept.document, name);
      kept.compiled.set(key, isCompiledQuery(made) ? made : null);
    }
    return kept.compiled.get(key)!;
  };

  const handOver = (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    // body-parser skips a request whose body was already read
    Object.assign(req, { body, _body: true });
    fallback(req, res);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const start = process.hrtime.bigint();
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      send(res, 400, { errors: [{ message: 'Malformed request', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    // what body-parser's strict mode refuses (a top-level string, number or null) is refused the same way
    if (typeof body !== 'object' || body === null) {
      send(res, 400, { errors: [{ message: 'Malformed request', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    if (!isPlainBody(body)) return handOver(req, res, body);
    let principal;
    try {
      principal = deps.access.authenticate(req.headers.authorization);
    } catch {
      return handOver(req, res, body);
    }
    const kept = documentOf(body.query);
    const document = kept?.document;
    const operation = document && getOperationAST(document, body.operationName ?? undefined);
    if (!kept || !document || !operation || operation.operation === 'subscription')
      return handOver(req, res, body);

    const reqId = requestIdOf(req);
    const child = logger.child({ reqId });
    // the request's logger holds while it runs and while its errors are shaped (both may log)
    const answer = await withRequestLogger(child, async () => {
      const compiled = compiledOf(kept, body.operationName ?? undefined);
      const contextValue = createContext(deps, principal);
      if (compiled) fastPathStats.compiled++;
      const result = compiled
        ? await compiled.query(undefined, contextValue, body.variables ?? {})
        : await execute({
            schema,
            document,
            contextValue,
            variableValues: body.variables ?? undefined,
            operationName: body.operationName ?? undefined,
          });
      // a request error (variables that do not coerce): nothing ran, Apollo gives its answer
      if (result.data === undefined) return null;
      return { data: result.data, errors: result.errors?.map((e) => format(withCode(e), e)) };
    });
    if (!answer) return handOver(req, res, body);
    const { data, errors } = answer;
    res.setHeader('x-request-id', reqId);
    fastPathStats.served++;
    send(res, 200, errors ? { errors, data } : { data });
    metrics?.countOperation(operationName(operation, body), operation.operation, !!errors, start);
    if (logger.isLevelEnabled('info')) {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      child.info({ method: 'POST', path: '/graphql', status: 200, ms }, 'request completed');
    }
  };

  return (req, res) => {
    if (!eligible(req, bodyBytes)) return fallback(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      serve(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).catch((e: unknown) => {
        log('error', 'graphql request failed', { error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) {
          send(res, 500, {
            errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
          });
        } else res.destroy();
      });
    });
  };
}

/** POST /graphql with a JSON body of a known, allowed length: anything else goes to express as before. */
function eligible(req: IncomingMessage, bodyBytes: number): boolean {
  if (req.method !== 'POST') return false;
  if (req.url !== '/graphql' && !req.url?.startsWith('/graphql?')) return false;
  const type = req.headers['content-type'];
  if (!type || !JSON_TYPE.test(type)) return false;
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') return false;
  const length = Number(req.headers['content-length']);
  return Number.isSafeInteger(length) && length > 0 && length <= bodyBytes;
}

function isPlainBody(b: unknown): b is Body {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return false;
  const o = b as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (key !== 'query' && key !== 'variables' && key !== 'operationName') return false;
  if (typeof o.query !== 'string') return false;
  const v = o.variables;
  if (v != null && (typeof v !== 'object' || Array.isArray(v))) return false;
  return o.operationName == null || typeof o.operationName === 'string';
}

/** As Apollo hands errors to `formatError`: with a code, INTERNAL_SERVER_ERROR when none was set. */
function withCode(e: GraphQLError): GraphQLFormattedError {
  const f = e.toJSON();
  return { ...f, extensions: { ...f.extensions, code: e.extensions?.code ?? 'INTERNAL_SERVER_ERROR' } };
}

function operationName(op: OperationDefinitionNode, body: Body): string | null {
  return body.operationName ?? op.name?.value ?? null;
}

function send(res: ServerResponse, status: number, payload: ExecutionResult | object): void {
  const text = `${JSON.stringify(payload)}\n`;
  res.writeHead(status, {
    ...CORS_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
