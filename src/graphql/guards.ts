import type { MiddlewareFn } from 'type-graphql';
import { assertAdmin } from '../modules/access';
import type { Context } from './context';

/** Mutations and vendor-wide lists need an admin key; a customer token gets FORBIDDEN. */
export const AdminOnly: MiddlewareFn<Context> = async ({ context }, next) => {
  assertAdmin(context.principal);
  return next();
};
