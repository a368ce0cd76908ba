import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { DomainError, ErrorCode } from '../core/errors';
import { counters } from '../core/metrics';
import { errorForLog } from '../core/redact';

export type Logger = (level: 'error' | 'warn' | 'info', msg: string, extra?: Record<string, unknown>) => void;

const PASS_THROUGH = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The one place errors become `extensions.code`: DomainError keeps its code and details; GraphQL's own
 * request errors keep theirs (a bad scalar literal becomes BAD_USER_INPUT); anything else is masked as
 * INTERNAL_SERVER_ERROR and logged with its stack.
 */
export function formatError(log: Logger, opts: FormatOptions = {}) {
  const production = opts.production ?? false;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const out = bounded(shape(formatted, error), production);
    // the codes come from the fixed set above (PASS_THROUGH, INTERNAL_SERVER_ERROR): a bounded label
    counters.graphqlErrors.inc({ code: String(out.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR) });
    return out;
  };

  function shape(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    if (original instanceof DomainError) {
      return {
        ...base,
        message: original.message,
        extensions: { code: original.code, ...(original.details ?? {}) },
      };
    }
    if (original instanceof ArgumentValidationError) {
      return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    // a scalar's parse error inside validation (e.g. an invalid Decimal literal) is the user's input
    const inner = error instanceof GraphQLError ? error.originalError : undefined;
    if (inner instanceof GraphQLError && inner.extensions?.code === ErrorCode.BAD_USER_INPUT) {
      return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    if (inner instanceof DomainError) {
      return { ...base, message: inner.message, extensions: { code: inner.code } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR && PASS_THROUGH.has(code)) {
      return { ...base, extensions: { code } };
    }
    log('error', 'internal error', {
      error: errorForLog(original), // a database error's values (possibly personal data) stay out of logs
      path: formatted.path,
    });
    return {
      ...base,
      message: 'Internal server error',
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  }
}

export interface FormatOptions {
  /** Drop graphql's "Did you mean …?" suggestions, which name fields that introspection-off hides. */
  production?: boolean;
}

/** Longest run of an echoed value kept in a message or detail; the rest is replaced by its length. */
const MAX_VALUE_CHARS = 64;
/** Longest message answered; one that lists many problems is cut there. */
const MAX_MESSAGE_CHARS = 1_000;

function cut(value: string, keep: number): string {
  return `${value.slice(0, keep)}…(${value.length} characters)`;
}

/** A quoted value, or an unbroken run (a big number, a printed object), longer than MAX_VALUE_CHARS. */
const ECHOED = new RegExp(`"(?:[^"\\\\]|\\\\.)*"|[^\\s"]{${MAX_VALUE_CHARS + 1},}`, 'g');

/**
 * Bounds what a message echoes of the request: graphql-js and the scalars quote the offending value (a
 * 900 KB argument came back twice, as a 1.8 MB answer). Long quoted strings and long unbroken runs are
 * shortened to their start and length, then the whole message is capped.
 */
export function boundMessage(message: string, production = false): string {
  let out = production ? message.replace(/\s*Did you mean [^?]*\?/g, '') : message;
  if (out.length <= MAX_VALUE_CHARS) return out;
  out = out.replace(ECHOED, (m) => {
    if (m.length <= MAX_VALUE_CHARS) return m;
    return m.startsWith('"') ? `"${cut(m.slice(1, -1), MAX_VALUE_CHARS)}"` : cut(m, MAX_VALUE_CHARS);
  });
  return out.length > MAX_MESSAGE_CHARS ? cut(out, MAX_MESSAGE_CHARS) : out;
}

/** A DomainError's details may carry input values too: strings in them are bounded the same way. */
function boundValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return boundMessage(value);
  if (depth >= 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => boundValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, boundValue(v, depth + 1)]));
}

function bounded(f: GraphQLFormattedError, production: boolean): GraphQLFormattedError {
  return {
    ...f,
    message: boundMessage(f.message, production),
    ...(f.extensions ? { extensions: boundValue(f.extensions, 0) as Record<string, unknown> } : {}),
  };
}
