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

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `Date` rolls impossible fields over (February 30 becomes March 2, 24:00 the next day): every field is
 * checked against the calendar first. The instant must fall in the years 0001-9999 (UTC), which
 * PostgreSQL and `toISOString` both write as four digits.
 */
function parseDateTime(text: string): Date {
  const fail = () =>
    badInput(
      `"${text.slice(0, 40)}" is not an ISO-8601 date-time with offset, e.g. 2026-11-21T10:00:00.000Z`,
    );
  const m = ISO_RE.exec(text);
  if (!m) throw fail();
  const [y, mo, d, h, mi, s, oh, om] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as number[];
  const days = mo === 2 && isLeap(y!) ? 29 : DAYS[mo! - 1];
  if (days === undefined || d! < 1 || d! > days || h! > 23 || mi! > 59 || s! > 59 || oh! > 23 || om! > 59)
    throw fail();
  const date = new Date(text);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) throw fail();
  return date;
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
