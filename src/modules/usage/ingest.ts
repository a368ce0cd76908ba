import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { parseIsoDuration, periodContaining } from '../../core/duration';
import { DomainError } from '../../core/errors';
import { UNSTORABLE_TEXT_MESSAGE, findUnstorableText, isUnstorableText } from '../../core/text';
import { IdPrefix, newId } from '../../core/ids';
import { aggregateStep, priceQuantity, type Aggregation } from '../../engine';
import { Dec, parseDecimal } from '../../money';
import { toEnginePrice, type StoredPrice } from '../catalog';
import { inTransaction, noteChange } from '../shared/tx';
import { valuesList } from '../shared/sql';
import { fault } from '../../core/fault';

export const MAX_BATCH = 1000;
/** Events may arrive a little early from clients whose clocks run ahead; further ahead is refused. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** An event's `data` is context, not a document store: bounded in size (serialized, UTF-8) and depth. */
export const MAX_EVENT_DATA_BYTES = 16_384;
export const MAX_EVENT_DATA_DEPTH = 32;

export interface UsageEventInput {
  id: string;
  subject: string;
  type: string;
  value?: string | null;
  timestamp?: Date | null;
  data?: Record<string, unknown> | null;
}

export interface RejectedEvent {
  id: string;
  code: string;
  message: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
  /** Customers whose pending balance changed (for live updates). */
  customerIds: string[];
}

interface SubRow {
  id: string;
  customer_id: string;
  active_from: Date;
  active_to: Date | null;
  settlement_mode: string | null;
  plan_mode: string;
  billing_cadence: string;
  currency_id: string;
  fiat_code: string | null;
  fiat_value: string | null;
  currency_code: string;
}

interface CardRow {
  id: string;
  plan_id: string;
  subscription_id: string;
  feature_id: string;
  feature_key: string;
  event_type: string;
  aggregation: Aggregation;
  price: StoredPrice;
  settlement_mode: string | null;
}

interface Rated {
  event: UsageEventInput;
  hash: string;
  value: Dec;
  ts: Date;
  customerId: string;
  sub: SubRow;
  card: CardRow;
  periodStart: Date;
  periodEnd: Date;
  key: string;
}

/** The content an event id stands for: what the client sent (a defaulted timestamp is not part of it). */
function contentHash(e: UsageEventInput): string {
  const canonical = JSON.stringify([
    e.subject,
    e.type,
    e.value == null ? null : new Dec(e.value).toFixed(),
    e.timestamp ? e.timestamp.toISOString() : null,
    e.data ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * What makes one event unusable on its own, before anything is looked up: its id, text PostgreSQL cannot
 * store (NUL, lone surrogates), a value outside the decimal grammar (28 integer digits, at most 40
 * decimals: PostgreSQL refuses 17,000), and data too large or too deep. Only that event is rejected.
 */
function screenEvent(e: UsageEventInput): { code: 'BAD_ID' | 'BAD_VALUE'; message: string } | null {
  if (e.id.length === 0 || e.id.length > 200)
    return { code: 'BAD_ID', message: 'id must be 1-200 characters' };
  if (isUnstorableText(e.id)) return { code: 'BAD_ID', message: `id ${UNSTORABLE_TEXT_MESSAGE}` };
  for (const field of ['subject', 'type'] as const) {
    if (isUnstorableText(e[field]))
      return { code: 'BAD_VALUE', message: `${field} ${UNSTORABLE_TEXT_MESSAGE}` };
  }
  if (e.value != null) {
    if (e.value.startsWith('-')) return { code: 'BAD_VALUE', message: 'value must not be negative' };
    try {
      parseDecimal(e.value, { nonNegative: true, field: 'value' });
    } catch (err) {
      if (err instanceof DomainError) return { code: 'BAD_VALUE', message: err.message };
      throw err;
    }
  }
  if (e.data != null) {
    const found = findUnstorableText(e.data, 'data', MAX_EVENT_DATA_DEPTH);
    if (found?.kind === 'depth')
      return { code: 'BAD_VALUE', message: `data is nested more than ${MAX_EVENT_DATA_DEPTH} levels deep` };
    if (found) return { code: 'BAD_VALUE', message: `${found.path} ${UNSTORABLE_TEXT_MESSAGE}` };
    // shallow now, so stringify cannot overflow the stack
    if (Buffer.byteLength(JSON.stringify(e.data)) > MAX_EVENT_DATA_BYTES)
      return { code: 'BAD_VALUE', message: `data is larger than ${MAX_EVENT_DATA_BYTES} bytes as JSON` };
  }
  return null;
}

/**
 * SPEC §8 ingestion: every event is accepted, a duplicate, or rejected with a code. Accepted events and
 * the charges they rate into are committed in one transaction before the answer; charge rows are locked in
 * id order (the same order settlement uses), so concurrent batches and settlement never lose an update.
 */
export async function ingestUsage(
  em0: EntityManager,
  clock: Clock,
  events: UsageEventInput[],
): Promise<IngestResult> {
  if (events.length > MAX_BATCH) throw DomainError.badInput(`at most ${MAX_BATCH} events per batch`);
  const now = clock.now();
  const rejected: RejectedEvent[] = [];
  const reject = (e: UsageEventInput, code: string, message: string) =>
    rejected.push({ id: e.id, code, message });

  // shape checks and in-batch repeats
  const firstById = new Map<string, { hash: string }>();
  const candidates: { e: UsageEventInput; hash: string; value: Dec; ts: Date }[] = [];
  let duplicates = 0;
  for (const e of events) {
    const problem = screenEvent(e);
    if (problem) {
      reject(e, problem.code, problem.message);
      continue;
    }
    const ts = e.timestamp ?? now;
    if (ts.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
      reject(e, 'BAD_TIMESTAMP', 'timestamp is more than 5 minutes in the future');
      continue;
    }
    const hash = contentHash(e);
    const seen = firstById.get(e.id);
    if (seen) {
      if (seen.hash === hash) duplicates++;
      else reject(e, 'IDEMPOTENCY_CONFLICT', `event ${e.id} was already sent with different content`);
      continue;
    }
    firstById.set(e.id, { hash });
    candidates.push({ e, hash, value: new Dec(e.value ?? '1'), ts });
  }
  if (candidates.length === 0) return { accepted: 0, duplicates, rejected, customerIds: [] };

  return inTransaction(em0, async (em) => {
    // a retried transaction starts again from the outcome of the checks above
    const rejectedTx: RejectedEvent[] = [...rejected];
    let dupTx = duplicates;
    const rejectTx = (e: UsageEventInput, code: string, message: string) =>
      rejectedTx.push({ id: e.id, code, message });
    // an id seen before is answered from what was stored, whatever has changed since (closed period,
    // canceled subscription): same content → duplicate, other content → conflict (SPEC §8)
    const prior = await em.execute<{ id: string; content_hash: string }[]>(
      `select id, content_hash from usage_event where id in (${candidates.map(() => '?').join(',')})`,
      candidates.map((c) => c.e.id),
    );
    const priorHash = new Map(prior.map((p) => [p.id, p.content_hash]));
    const fresh = candidates.filter((c) => {
      const h = priorHash.get(c.e.id);
      if (h === undefined) return true;
      if (h === c.hash) dupTx++;
      else rejectTx(c.e, 'IDEMPOTENCY_CONFLICT', `event ${c.e.id} was already sent with different content`);
      return false;
    });
    if (fresh.length === 0) return { accepted: 0, duplicates: dupTx, rejected: rejectedTx, customerIds: [] };
    // subjects → customers → subscriptions → rate cards, in four set-wise queries
    const subjects = [...new Set(fresh.map((c) => c.e.subject))];
    const subjectRows = await em.execute<{ subject_key: string; customer_id: string }[]>(
      `select subject_key, customer_id from customer_subject where subject_key in (${subjects.map(() => '?').join(',')})`,
      subjects,
    );
    const customerOf = new Map(subjectRows.map((r) => [r.subject_key, r.customer_id]));
    const types = [...new Set(fresh.map((c) => c.e.type))];
    const knownTypes = new Set(
      (
        await em.execute<{ event_type: string }[]>(
          `select distinct event_type from feature where event_type in (${types.map(() => '?').join(',')})`,
          types,
        )
      ).map((r) => r.event_type),
    );
    const customerIds = [...new Set(subjectRows.map((r) => r.customer_id))];
    const subs = customerIds.length
      ? await em.execute<SubRow[]>(
          `select s.id, s.customer_id, s.active_from, s.active_to, s.settlement_mode, p.settlement_mode as plan_mode,
                  p.billing_cadence, p.currency_id, c.fiat_code, c.fiat_value::text as fiat_value, c.code as currency_code
             from subscription s join plan p on p.id = s.plan_id join currency c on c.id = p.currency_id
            where s.customer_id in (${customerIds.map(() => '?').join(',')})
            order by s.active_from, s.id`,
          customerIds,
        )
      : [];
    const cards = subs.length
      ? await em.execute<CardRow[]>(
          `select rc.id, rc.plan_id, s.id as subscription_id, f.id as feature_id, f.key as feature_key, f.event_type,
                  f.aggregation, rc.price, rc.settlement_mode
             from subscription s join rate_card rc on rc.plan_id = s.plan_id join feature f on f.id = rc.feature_id
            where s.id in (${subs.map(() => '?').join(',')})
            order by rc.position`,
          subs.map((s) => s.id),
        )
      : [];
    const subsByCustomer = new Map<string, SubRow[]>();
    for (const s of subs) {
      s.active_from = new Date(s.active_from);
      s.active_to = s.active_to ? new Date(s.active_to) : null;
      const list = subsByCustomer.get(s.customer_id) ?? [];
      list.push(s);
      subsByCustomer.set(s.customer_id, list);
    }
    const cardsBySubType = new Map<string, CardRow[]>();
    for (const c of cards) {
      const k = `${c.subscription_id}|${c.event_type}`;
      const list = cardsBySubType.get(k) ?? [];
      list.push(c);
      cardsBySubType.set(k, list);
    }

    // rate: one subscription per event (the earliest-started one active at its time that prices its type)
    const rated: Rated[] = [];
    for (const c of fresh) {
      const customerId = customerOf.get(c.e.subject);
      if (!customerId) {
        rejectTx(c.e, 'UNKNOWN_SUBJECT', `no customer has subject ${c.e.subject}`);
        continue;
      }
      if (!knownTypes.has(c.e.type)) {
        rejectTx(c.e, 'UNKNOWN_EVENT_TYPE', `no feature counts events of type ${c.e.type}`);
        continue;
      }
      const active = (subsByCustomer.get(customerId) ?? []).filter(
        (s) => s.active_from <= c.ts && (s.active_to === null || c.ts < s.active_to),
      );
      if (active.length === 0) {
        rejectTx(
          c.e,
          'NO_ACTIVE_SUBSCRIPTION',
          `customer has no subscription active at ${c.ts.toISOString()}`,
        );
        continue;
      }
      const match = active
        .map((s) => ({ s, cs: cardsBySubType.get(`${s.id}|${c.e.type}`) }))
        .find((x) => x.cs?.length);
      if (!match) {
        rejectTx(c.e, 'NO_RATE_CARD', `no active subscription's plan prices events of type ${c.e.type}`);
        continue;
      }
      const period = periodContaining(match.s.active_from, parseIsoDuration(match.s.billing_cadence), c.ts);
      // one event may feed several rate cards of the same plan (e.g. a COUNT and a SUM feature)
      for (const card of match.cs!) {
        rated.push({
          event: c.e,
          hash: c.hash,
          value: c.value,
          ts: c.ts,
          customerId,
          sub: match.s,
          card,
          periodStart: period.start,
          periodEnd: period.end,
          key: `${match.s.id}|${card.id}|${period.start.toISOString()}`,
        });
      }
    }
    if (rated.length === 0) return { accepted: 0, duplicates: dupTx, rejected: rejectedTx, customerIds: [] };

    // create missing charges and read their status (no lock yet: locks are taken last, held briefly)
    const keys = new Map<string, Rated>();
    for (const r of rated) if (!keys.has(r.key)) keys.set(r.key, r);
    const newRows = [...keys.values()];
    const params: unknown[] = [];
    for (const r of newRows) {
      const mode = r.sub.settlement_mode ?? r.card.settlement_mode ?? r.sub.plan_mode;
      params.push(
        newId(IdPrefix.Charge),
        r.customerId,
        r.sub.currency_id,
        r.sub.id,
        r.card.id,
        r.card.feature_id,
        r.card.feature_key,
        r.card.aggregation,
        mode,
        r.sub.fiat_code ?? (r.sub.fiat_value === null ? r.sub.currency_code : null),
        r.sub.fiat_value ?? (r.sub.fiat_code === null ? '1' : null),
        r.periodStart.toISOString(),
        r.periodEnd.toISOString(),
        now.toISOString(),
      );
    }
    await em.execute(
      `insert into charge (id, customer_id, currency_id, kind, subscription_id, rate_card_id, feature_id, feature_key,
                           aggregation, status, settlement_mode, fiat_code, fiat_value, quantity, amount, period_start,
                           period_end, created_at, updated_at)
       select v.id, v.customer_id, v.currency_id, 'USAGE', v.subscription_id, v.rate_card_id, v.feature_id, v.feature_key,
              v.aggregation, 'OPEN', v.mode, v.fiat_code, v.fiat_value::numeric, 0, 0, v.ps::timestamptz, v.pe::timestamptz,
              v.now::timestamptz, v.now::timestamptz
         from (values ${valuesList(newRows.length, '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', params)})
              as v(id, customer_id, currency_id, subscription_id, rate_card_id, feature_id, feature_key, aggregation, mode,
                   fiat_code, fiat_value, ps, pe, now)
       on conflict (subscription_id, rate_card_id, period_start) where kind = 'USAGE' do nothing`,
      params,
    );
    const lockParams: unknown[] = [];
    for (const r of newRows) lockParams.push(r.sub.id, r.card.id, r.periodStart.toISOString());
    const locked = await em.execute<
      {
        id: string;
        subscription_id: string;
        rate_card_id: string;
        period_start: Date;
        status: string;
        quantity: string;
        aggregation: Aggregation;
      }[]
    >(
      `select id, subscription_id, rate_card_id, period_start, status, quantity::text as quantity, aggregation
         from charge
        where kind = 'USAGE' and (subscription_id, rate_card_id, period_start) in (${newRows.map(() => '(?, ?, ?::timestamptz)').join(', ')})
        order by id`,
      lockParams,
    );
    const chargeByKey = new Map(
      locked.map((c) => [
        `${c.subscription_id}|${c.rate_card_id}|${new Date(c.period_start).toISOString()}`,
        c,
      ]),
    );

    // events whose period is already closed are refused; the others are inserted (duplicates drop out)
    const eventRows = new Map<string, Rated>();
    for (const r of rated) {
      if (chargeByKey.get(r.key)!.status !== 'OPEN') continue;
      if (!eventRows.has(r.event.id)) eventRows.set(r.event.id, r);
    }
    const closed = new Set(
      rated.filter((r) => chargeByKey.get(r.key)!.status !== 'OPEN').map((r) => r.event.id),
    );
    for (const id of closed) {
      if (eventRows.has(id)) continue;
      const r = rated.find((x) => x.event.id === id)!;
      rejectTx(r.event, 'PERIOD_CLOSED', `the billing period of ${r.ts.toISOString()} is closed and settled`);
    }
    const toInsert = [...eventRows.values()];
    let inserted = new Set<string>();
    if (toInsert.length > 0) {
      const ep: unknown[] = [];
      for (const r of toInsert) {
        ep.push(
          r.event.id,
          r.hash,
          r.customerId,
          r.sub.id,
          r.event.subject,
          r.event.type,
          r.value.toFixed(),
          r.ts.toISOString(),
          r.event.data ? JSON.stringify(r.event.data) : null,
          now.toISOString(),
        );
      }
      const rows = await em.execute<{ id: string }[]>(
        `insert into usage_event (id, content_hash, customer_id, subscription_id, subject, type, value, ts, data, received_at)
         values ${valuesList(toInsert.length, '(?, ?, ?, ?, ?, ?, ?::numeric, ?::timestamptz, ?::jsonb, ?::timestamptz)', ep)}
         on conflict (id) do nothing returning id`,
        ep,
      );
      inserted = new Set(rows.map((r) => r.id));
      const existing = toInsert.filter((r) => !inserted.has(r.event.id));
      if (existing.length > 0) {
        const prior = await em.execute<{ id: string; content_hash: string }[]>(
          `select id, content_hash from usage_event where id in (${existing.map(() => '?').join(',')})`,
          existing.map((r) => r.event.id),
        );
        const hashOf = new Map(prior.map((p) => [p.id, p.content_hash]));
        for (const r of existing) {
          if (hashOf.get(r.event.id) === r.hash) dupTx++;
          else
            rejectTx(
              r.event,
              'IDEMPOTENCY_CONFLICT',
              `event ${r.event.id} was already sent with different content`,
            );
        }
      }
    }

    // now lock the charges that get new events, in id order (the order settlement uses), and re-read them;
    // a period closed since the snapshot above refuses its events after all
    const touched = [
      ...new Set(rated.filter((r) => inserted.has(r.event.id)).map((r) => chargeByKey.get(r.key)!.id)),
    ].sort();
    const current = new Map<string, { status: string; quantity: string }>();
    if (touched.length > 0) {
      const rows = await em.execute<{ id: string; status: string; quantity: string }[]>(
        `select id, status, quantity::text as quantity from charge where id in (${touched.map(() => '?').join(',')})
          order by id for update`,
        touched,
      );
      for (const row of rows) current.set(row.id, row);
      const lateClosed = rated.filter(
        (r) => inserted.has(r.event.id) && current.get(chargeByKey.get(r.key)!.id)!.status !== 'OPEN',
      );
      const gone = [...new Set(lateClosed.map((r) => r.event.id))];
      if (gone.length > 0) {
        await em.execute(`delete from usage_event where id in (${gone.map(() => '?').join(',')})`, gone);
        for (const id of gone) {
          inserted.delete(id);
          const r = lateClosed.find((x) => x.event.id === id)!;
          rejectTx(
            r.event,
            'PERIOD_CLOSED',
            `the billing period of ${r.ts.toISOString()} is closed and settled`,
          );
        }
      }
    }

    // fold the new events into their charges and re-price the period totals at full precision
    const delta = new Map<string, { quantity: Dec | null; card: CardRow }>();
    for (const r of rated) {
      if (!inserted.has(r.event.id)) continue;
      const c = chargeByKey.get(r.key)!;
      const d = delta.get(c.id) ?? { quantity: new Dec(current.get(c.id)!.quantity), card: r.card };
      d.quantity = aggregateStep(r.card.aggregation, d.quantity, r.value);
      delta.set(c.id, d);
    }
    if (delta.size > 0) {
      const up: unknown[] = [];
      for (const [id, d] of delta) {
        up.push(id, d.quantity!.toFixed(), priceQuantity(toEnginePrice(d.card.price), d.quantity!).toFixed());
      }
      await em.execute(
        `update charge as c set quantity = v.q::numeric, amount = v.a::numeric, updated_at = now()
           from (values ${valuesList(delta.size, '(?, ?, ?)', up)}) as v(id, q, a)
          where c.id = v.id`,
        up,
      );
    }
    await fault('usage.batch', () => rated.map((r) => r.customerId));
    noteChange(
      em,
      'pending',
      rated.filter((r) => inserted.has(r.event.id)).map((r) => r.customerId),
    );
    const acceptedIds = new Set(rated.filter((r) => inserted.has(r.event.id)).map((r) => r.event.id));
    return {
      accepted: acceptedIds.size,
      duplicates: dupTx,
      rejected: rejectedTx,
      customerIds: [...new Set(rated.filter((r) => inserted.has(r.event.id)).map((r) => r.customerId))],
    };
  });
}
