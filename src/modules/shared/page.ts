import { DomainError } from '../../core/errors';
import type { CursorCodec } from './cursor';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A page of nodes newest-first, with the keyset key of each node for its cursor. */
export interface Page<T> {
  nodes: T[];
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export interface KeysetRequest<K> {
  /** true: walk towards older rows (first/after); false: towards newer rows (last/before). */
  forward: boolean;
  limit: number;
  /** Exclusive bound: older than this (forward) or newer than this (backward). */
  bound: K | null;
}

/** Validates Relay arguments and turns them into one keyset request. */
export function keysetRequest<K extends string | number>(
  args: PageArgs,
  codec: CursorCodec,
  scope: string,
  kind: 'string' | 'number',
): KeysetRequest<K> {
  const { first, after, last, before } = args;
  const checkSize = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > MAX_PAGE_SIZE) {
      throw DomainError.badInput(`${name} must be between 0 and ${MAX_PAGE_SIZE}`);
    }
  };
  if (first != null) checkSize('first', first);
  if (last != null) checkSize('last', last);
  if (first != null && last != null)
    throw DomainError.badInput('Use either first/after or last/before, not both');
  if (after != null && before != null) throw DomainError.badInput('Use either after or before, not both');
  const decode = (c: string): K => {
    const k = codec.decode(scope, c);
    if (typeof k !== kind)
      throw DomainError.badInput('Invalid cursor: it is malformed or belongs to another query');
    return k as K;
  };
  if (last != null || before != null) {
    if (first != null || after != null)
      throw DomainError.badInput('Use either first/after or last/before, not both');
    return {
      forward: false,
      limit: last ?? DEFAULT_PAGE_SIZE,
      bound: before != null ? decode(before) : null,
    };
  }
  return { forward: true, limit: first ?? DEFAULT_PAGE_SIZE, bound: after != null ? decode(after) : null };
}

/**
 * Finishes a keyset page: `rows` were fetched with limit+1 in walk order (newest-first when forward,
 * oldest-first when backward). Returns nodes newest-first.
 */
export function finishPage<T, K extends string | number>(
  rows: T[],
  req: KeysetRequest<K>,
  keyOf: (row: T) => K,
  codec: CursorCodec,
  scope: string,
): Page<T> {
  const more = rows.length > req.limit;
  const taken = rows.slice(0, req.limit);
  const nodes = req.forward ? taken : taken.reverse();
  return {
    nodes,
    cursors: nodes.map((n) => codec.encode(scope, keyOf(n))),
    hasNextPage: req.forward ? more : req.bound !== null,
    hasPreviousPage: req.forward ? req.bound !== null : more,
  };
}
