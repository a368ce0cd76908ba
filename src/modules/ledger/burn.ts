import type { EntityManager } from '@mikro-orm/postgresql';
import { Dec } from '../../money';

/**
 * What one ledger consumed in `(from, to]` (CONSUMED amounts) and gave back (CORRECTED amounts), both as
 * positive sums: the input of the forecast's burn rate (SPEC §16). One indexed range read.
 */
export async function consumedBetween(
  em: EntityManager,
  ledgerId: string,
  from: Date,
  to: Date,
): Promise<{ consumed: Dec; corrected: Dec }> {
  const rows = await em.execute<{ consumed: string | null; corrected: string | null }[]>(
    `select (-sum(amount) filter (where type = 'CONSUMED'))::text as consumed,
            (sum(amount) filter (where type = 'CORRECTED'))::text as corrected
       from movement
      where ledger_id = ? and type in ('CONSUMED', 'CORRECTED')
        and booked_at > ?::timestamptz and booked_at <= ?::timestamptz`,
    [ledgerId, from.toISOString(), to.toISOString()],
  );
  const r = rows[0];
  return { consumed: new Dec(r?.consumed ?? '0'), corrected: new Dec(r?.corrected ?? '0') };
}
