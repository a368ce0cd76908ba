import {
  defaultFieldResolver,
  isObjectType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import { DomainError } from '../core/errors';
import { UNSTORABLE_TEXT_MESSAGE, findUnstorableText } from '../core/text';
import { assertAdmin } from '../modules/access';
import type { Context } from './context';

/** Mutations and vendor-wide lists need an admin key; a customer token gets FORBIDDEN. */
export const AdminOnly: MiddlewareFn<Context> = async ({ context }, next) => {
  assertAdmin(context.principal);
  return next();
};

/**
 * Field extension for a field whose service screens the text of its arguments itself, item by item
 * (`ingestUsage` rejects the one event with a NUL byte instead of failing its batch).
 */
export const SCREENS_OWN_TEXT = 'screensOwnText';

function screen(args: Record<string, unknown>): void {
  const problem = findUnstorableText(args, '');
  if (!problem) return;
  const field = problem.path.replace(/^\./, '');
  throw DomainError.badInput(`${field} ${UNSTORABLE_TEXT_MESSAGE}`, [
    { field, message: UNSTORABLE_TEXT_MESSAGE },
  ]);
}

function guardField(field: GraphQLField<unknown, unknown>): void {
  const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
  field.resolve = (source, args, ctx, info) => {
    screen(args);
    return resolve(source, args, ctx, info);
  };
  const subscribe = field.subscribe;
  if (subscribe) {
    field.subscribe = (source, args, ctx, info) => {
      screen(args);
      return subscribe(source, args, ctx, info);
    };
  }
}

const guarded = new WeakSet<GraphQLSchema>();

/**
 * One check for every argument value before any resolver runs, on HTTP and WebSocket alike: strings,
 * ids, input objects and JSON scalars holding a NUL byte or a lone surrogate answer BAD_USER_INPUT
 * instead of reaching PostgreSQL (which refuses them with an error that would carry the SQL and its values).
 * Only fields with arguments are wrapped, so plain fields keep graphql-js's fast default resolver.
 */
export function guardArgumentText(schema: GraphQLSchema): GraphQLSchema {
  if (guarded.has(schema)) return schema;
  guarded.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0 || field.extensions?.[SCREENS_OWN_TEXT]) continue;
      guardField(field);
    }
  }
  return schema;
}
