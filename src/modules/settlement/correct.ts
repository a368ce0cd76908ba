import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { DomainError, ErrorCode } from '../../core/errors';
import { IdPrefix, isIdOf } from '../../core/ids';
import { planRestore } from '../../engine';
import { Dec, ZERO, parseDecimal } from '../../money';
import { MovementEntity, runOnLedger, type AllocationDraft } from '../ledger';

export interface CorrectMovementInput {
  movementId: string;
  amount?: string | null;
  reason: string;
  idempotencyKey?: string | null;
}

/**
 * Gives back all or part of a CONSUMED movement (SPEC §6): restores credit to the grants it came from in
 * reverse of the order it took them. Portions whose grant has expired or been voided are not restored and
 * are listed in the movement's details; an uncovered (debt) portion reduces the outstanding debt.
 */
export async function correctMovement(
  em0: EntityManager,
  clock: Clock,
  input: CorrectMovementInput,
): Promise<MovementEntity> {
  const now = clock.now();
  const original = isIdOf(IdPrefix.CreditMovement, input.movementId)
    ? await em0.findOne(MovementEntity, { id: input.movementId })
    : null;
  if (!original) throw DomainError.notFound('Credit movement', input.movementId);
  if (original.type !== 'CONSUMED') {
    throw new DomainError(
      ErrorCode.INVALID_STATE,
      `Only CONSUMED movements can be corrected; this one is ${original.type}`,
    );
  }
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > 500)
    throw DomainError.badInput('reason must be 1-500 characters');
  const scope = `correctMovement:${original.customerId}`;
  const movementId = await runOnLedger(
    em0,
    { customerId: original.customerId, currencyId: original.currencyId },
    now,
    { scope, key: input.idempotencyKey, input: { ...input, idempotencyKey: undefined } },
    async (tx, em) => {
      const allocations = await em.execute<{ grant_id: string | null; amount: string }[]>(
        `select grant_id, amount::text as amount from allocation where movement_id = ? order by position`,
        [original.id],
      );
      const prior = await em.execute<{ requested: string | null }[]>(
        `select details->>'requested' as requested from movement where corrects_id = ? and type = 'CORRECTED'`,
        [original.id],
      );
      const already = prior.reduce((s, p) => s.plus(p.requested ?? '0'), ZERO);
      const consumed = new Dec(original.amount).neg();
      const amount =
        input.amount != null
          ? parseDecimal(input.amount, { scale: tx.scale, positive: true, field: 'amount' })
          : consumed.minus(already);
      if (amount.lte(0))
        throw new DomainError(ErrorCode.INVALID_STATE, 'This movement has already been corrected in full');
      const plan = planRestore({
        consumed: allocations.map((a) => ({ grantId: a.grant_id, amount: new Dec(a.amount).neg() })),
        amount,
        alreadyCorrected: already,
        restorable: (grantId) => tx.restorable(grantId, now),
      });
      const restored: AllocationDraft[] = plan.restores.map((r) => ({
        grantId: r.grantId,
        amount: r.amount,
      }));
      const notRestored: { grantId: string | null; amount: string; why: string }[] = [];
      let debt = tx.outstandingDebt;
      for (const p of plan.notRestored) {
        if (p.grantId === null) {
          // the uncovered part of a CREDIT_ONLY consumption is given back against the debt still outstanding
          const give = Dec.min(p.amount, debt);
          if (give.gt(0)) restored.push({ grantId: null, amount: give });
          debt = debt.minus(give);
          if (p.amount.gt(give))
            notRestored.push({
              grantId: null,
              amount: p.amount.minus(give).toFixed(),
              why: 'debt already repaid',
            });
        } else {
          const g = tx.grants.get(p.grantId);
          notRestored.push({
            grantId: p.grantId,
            amount: p.amount.toFixed(),
            why: g?.voidedAt || !g ? 'grant voided or expired' : 'grant expired',
          });
        }
      }
      const total = restored.reduce((s, a) => s.plus(a.amount), ZERO);
      if (total.isZero()) {
        throw new DomainError(
          ErrorCode.INVALID_STATE,
          'Nothing can be given back: the grants it came from have expired or been voided',
          {
            notRestored,
          },
        );
      }
      const summary = notRestored.length
        ? `${reason} (not restored: ${notRestored.map((n) => `${tx.format(new Dec(n.amount))} of ${n.grantId ?? 'debt'}, ${n.why}`).join('; ')})`
        : reason;
      const m = tx.book({
        type: 'CORRECTED',
        amount: total,
        bookedAt: now,
        chargeId: original.chargeId,
        correctsId: original.id,
        description: summary,
        allocations: restored,
        details: { requested: amount.toFixed(), notRestored },
      });
      return m.id;
    },
  );
  return (await em0.findOne(MovementEntity, { id: movementId }))!;
}
