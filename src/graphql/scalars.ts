import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { isDecimalString } from '../money';

const badInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/**
 * Decimal travels as a string. Inputs are checked against the strict grammar of SPEC §2 here; the
 * per-currency scale is checked by the module that knows the currency.
 */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description:
    'A signed decimal number serialized as a string with the currency\'s scale, e.g. "12.50". Inputs take strings only.',
  serialize(value) {
    if (typeof value !== 'string') throw new GraphQLError('Decimal values are serialized from strings only');
    return value;
  },
  parseValue(value) {
    if (typeof value !== 'string') throw badInput('Decimal must be a string such as "12.50"');
    if (!isDecimalString(value)) {
      throw badInput(
        `"${value.slice(0, 40)}" is not a decimal: use digits, an optional "-" and "." (at most 28 integer digits)`,
      );
    }
    return value;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('Decimal must be a string literal such as "12.50"');
    if (!isDecimalString(ast.value)) {
      throw badInput(
        `"${ast.value.slice(0, 40)}" is not a decimal: use digits, an optional "-" and "." (at most 28 integer digits)`,
      );
    }
    return ast.value;
  },
});

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(text: string): Date {
  const d = new Date(text);
  if (!ISO_RE.test(text) || Number.isNaN(d.getTime())) {
    throw badInput(
      `"${text.slice(0, 40)}" is not an ISO-8601 date-time with offset, e.g. 2026-11-21T10:00:00.000Z`,
    );
  }
  return d;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date-time with offset, e.g. 2026-11-21T10:00:00.000Z.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return new Date(value).toISOString();
    throw new GraphQLError('DateTime values are serialized from Date');
  },
  parseValue(value) {
    if (typeof value !== 'string') throw badInput('DateTime must be a string');
    return parseDateTime(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string literal');
    return parseDateTime(ast.value);
  },
});

export const JSONObjectScalar = GraphQLJSONObject;
