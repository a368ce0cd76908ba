import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { DomainError, ErrorCode } from '../core/errors';
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
export function formatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
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
  };
}
