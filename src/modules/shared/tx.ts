import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../../core/errors';
import { countBooked } from '../../core/metrics';

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

function pgCode(e: unknown): string | undefined {
  const err = e as { code?: string; cause?: { code?: string }; previous?: { code?: string } };
  return err?.code ?? err?.previous?.code ?? err?.cause?.code;
}

/**
 * Which customers a committed transaction changed: booked movements, only their pending figure, or their
 * terms (subscriptions: where their usage goes and how it is settled).
 */
export interface CommittedChanges {
  movements: Set<string>;
  pending: Set<string>;
  terms: Set<string>;
}

const hasChanges = (c: CommittedChanges) => c.movements.size > 0 || c.pending.size > 0 || c.terms.size > 0;

const openChanges = new WeakMap<EntityManager, CommittedChanges>();
const commitListeners = new Set<(c: CommittedChanges) => void>();

/** Whether `em` is the EntityManager of an `inTransaction` transaction still open (work joins it). */
export function inOpenTransaction(em: EntityManager): boolean {
  return openChanges.has(em);
}

/** Live updates register here; they hear of changes only after the transaction committed. */
export function addCommitListener(fn: (c: CommittedChanges) => void): () => void {
  commitListeners.add(fn);
  return () => commitListeners.delete(fn);
}

/** Records, inside a transaction, that customers changed; announced after commit, never before. */
export function noteChange(
  em: EntityManager,
  kind: keyof CommittedChanges,
  customerIds: Iterable<string>,
): void {
  const c = openChanges.get(em);
  if (c) for (const id of customerIds) c[kind].add(id);
}

const openBooked = new WeakMap<EntityManager, Map<string, number>>();

/** Records, inside a transaction, the types of the movements it books: counted (metrics) once it commits. */
export function noteBooked(em: EntityManager, types: Iterable<string>): void {
  const tally = openBooked.get(em) ?? new Map<string, number>();
  for (const t of types) tally.set(t, (tally.get(t) ?? 0) + 1);
  if (!openBooked.has(em)) countBooked(tally); // not in an `inTransaction` transaction: counted at once
}

/** Work that must run inside a transaction after its use case and before it commits (the webhook outbox). */
type BeforeCommit = (em: EntityManager) => Promise<void>;
const openHooks = new WeakMap<EntityManager, BeforeCommit[]>();

/**
 * Runs `fn` in `em`'s transaction once its use case has returned, just before commit (and never when it
 * fails): a rollback takes what `fn` wrote with it. Answers false when `em` is not in a transaction opened
 * by `inTransaction`; the caller then does its work at once.
 */
export function beforeCommit(em: EntityManager, fn: BeforeCommit): boolean {
  const hooks = openHooks.get(em);
  if (!hooks) return false;
  hooks.push(fn);
  return true;
}

/**
 * One transaction per use case, retried a bounded number of times on serialization failures and
 * deadlocks (with jitter); domain errors and everything else surface at once. After commit, the changes
 * it noted are handed to the commit listeners (publish-after-commit).
 *
 * Called with the `em` of a transaction this helper opened, `fn` joins that transaction: same connection,
 * locks and identity map, its changes announced when the outer one commits, and a retry re-runs the outer
 * use case as a whole. Anywhere else (a request's em, or one of a transaction opened by plain
 * `em.transactional`, whose commit would not announce the changes) it starts a new transaction on a fresh
 * fork, so the caller's identity map (one per request) never sees rows of a transaction that may still
 * roll back.
 */
export async function inTransaction<T>(
  em: EntityManager,
  fn: (em: EntityManager) => Promise<T>,
  attempts = 5,
): Promise<T> {
  if (openChanges.has(em)) return fn(em);
  for (let attempt = 1; ; attempt++) {
    try {
      let changes: CommittedChanges | undefined;
      let booked: Map<string, number> | undefined;
      const result = await em.fork().transactional(async (txEm) => {
        changes = { movements: new Set(), pending: new Set(), terms: new Set() };
        openChanges.set(txEm, changes);
        booked = new Map();
        openBooked.set(txEm, booked);
        const hooks: BeforeCommit[] = [];
        openHooks.set(txEm, hooks);
        try {
          const out = await fn(txEm);
          // a hook may add hooks (it runs inside the transaction): run until none is left
          for (let i = 0; i < hooks.length; i++) await hooks[i]!(txEm);
          return out;
        } finally {
          // closed for joining: an em kept past this point would otherwise "join" a finished transaction
          openChanges.delete(txEm);
          openHooks.delete(txEm);
          openBooked.delete(txEm);
        }
      });
      if (changes && hasChanges(changes)) {
        for (const l of commitListeners) l(changes);
      }
      if (booked && booked.size > 0) countBooked(booked);
      return result;
    } catch (e) {
      if (e instanceof DomainError || attempt >= attempts || !RETRYABLE.has(pgCode(e) ?? '')) throw e;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10 * attempt));
    }
  }
}

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function requestHash(input: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(stable(input)))
    .digest('base64url');
}

export type IdempotencyOutcome = { kind: 'new' } | { kind: 'replay'; resultId: string };

/**
 * Claims an idempotency key inside the caller's transaction (after its ledger lock). A second request with
 * the same key waits on the first's uncommitted row, then sees it: same input → replay the first result;
 * other input → IDEMPOTENCY_CONFLICT. A rolled-back first request leaves no trace, so a retry runs anew.
 */
export async function claimIdempotencyKey(
  em: EntityManager,
  customerId: string,
  scope: string,
  key: string,
  input: unknown,
): Promise<IdempotencyOutcome> {
  if (key.length === 0 || key.length > 200)
    throw DomainError.badInput('idempotencyKey must be 1-200 characters');
  const hash = requestHash(input);
  const inserted = await em.execute<{ key: string }[]>(
    `insert into idempotency_key (scope, key, customer_id, request_hash) values (?, ?, ?, ?)
     on conflict do nothing returning key`,
    [scope, key, customerId, hash],
  );
  if (inserted.length > 0) return { kind: 'new' };
  const rows = await em.execute<{ request_hash: string; result_id: string | null }[]>(
    `select request_hash, result_id from idempotency_key where scope = ? and key = ? and customer_id = ?`,
    [scope, key, customerId],
  );
  const row = rows[0]!;
  if (row.request_hash !== hash || row.result_id === null) {
    throw new DomainError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      `idempotencyKey "${key}" was already used with a different input`,
    );
  }
  return { kind: 'replay', resultId: row.result_id };
}

export async function recordIdempotentResult(
  em: EntityManager,
  customerId: string,
  scope: string,
  key: string,
  resultId: string,
): Promise<void> {
  await em.execute(
    `update idempotency_key set result_id = ? where scope = ? and key = ? and customer_id = ?`,
    [resultId, scope, key, customerId],
  );
}
