import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { DomainError, ErrorCode } from '../../core/errors';
import { IdPrefix, isIdOf } from '../../core/ids';
import { enqueueJob } from '../../db/jobs';
import { grantStatus } from '../../engine';
import { inTransaction } from '../shared/tx';
import { LedgerTx } from './booking';
import { GrantEntity } from './entities';
import type { CreateGrantInput } from './grants';

// SPEC §14 on the ledger: program grants made once only, and moving a grant's expiry.

/**
 * The grant already made for this allocation period or rollover, if any. Read under the ledger lock, so two
 * processes creating the same one see each other's commit; the unique indexes back it.
 */
export async function onceOnly(
  em: EntityManager,
  input: Pick<CreateGrantInput, 'allocationKey' | 'rolledFromId'>,
): Promise<string | null> {
  if (!input.allocationKey && !input.rolledFromId) return null;
  const rows = await em.execute<{ id: string }[]>(
    input.allocationKey
      ? `select id from credit_grant where allocation_key = ?`
      : `select id from credit_grant where rolled_from_id = ?`,
    [input.allocationKey ?? input.rolledFromId],
  );
  return rows[0]?.id ?? null;
}

/**
 * updateCreditGrantExpiry: moves the expiry of a PENDING or ACTIVE grant (null: never). An instant at or
 * before now (even before effectiveAt) expires it now: `expiresAt` becomes now and its remainder is booked
 * EXPIRED at that instant. Any other status is INVALID_STATE. Draw-down reads the stored expiry, so the order
 * follows at once; the due-work job is rescheduled to the new instant.
 */
export async function updateGrantExpiry(
  em0: EntityManager,
  clock: Clock,
  dueTask: string,
  grantId: string,
  expiresAt: Date | null,
): Promise<void> {
  const g0 = isIdOf(IdPrefix.CreditGrant, grantId) ? await em0.findOne(GrantEntity, { id: grantId }) : null;
  if (!g0) throw DomainError.notFound('Credit grant', grantId);
  const now = clock.now();
  await inTransaction(em0, async (em) => {
    const tx = await LedgerTx.open(em, g0.customerId, g0.currencyId);
    tx.bookDue(now);
    const state = tx.grants.get(grantId);
    const status = state ? grantStatus(state, now) : null;
    if (!state || (status !== 'PENDING' && status !== 'ACTIVE')) {
      const fresh = await em.findOneOrFail(GrantEntity, { id: grantId }, { refresh: true });
      const shown = status ?? (fresh.voidedAt ? 'VOIDED' : 'EXPIRED');
      throw new DomainError(
        ErrorCode.INVALID_STATE,
        `Credit grant ${grantId} is ${shown}; only a PENDING or ACTIVE grant's expiry can change`,
      );
    }
    if (expiresAt !== null && expiresAt <= now) {
      state.expiresAt = now;
      tx.expire(state);
    } else {
      if (expiresAt !== null && expiresAt <= state.effectiveAt)
        throw DomainError.badInput('expiresAt must be after the grant becomes effective');
      state.expiresAt = expiresAt;
      state.dirty = true;
      if (expiresAt) {
        // the job key replaces the job of the old expiry; one that ran early finds nothing due
        await enqueueJob(
          em,
          dueTask,
          { ledgerId: tx.id },
          { runAt: expiresAt, jobKey: `due:${grantId}:expire` },
        );
      }
    }
    await tx.flush();
  });
}
