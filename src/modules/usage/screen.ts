import { createHash } from 'node:crypto';
import { DomainError } from '../../core/errors';
import { UNSTORABLE_TEXT_MESSAGE, findUnstorableText, isUnstorableText } from '../../core/text';
import { Dec, parseDecimal } from '../../money';
import type { RejectionCode, Verdicts } from './rejections';

/** Events may arrive a little early from clients whose clocks run ahead; further ahead is refused. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;
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

/** An event that passed screening: its content hash, value and time are settled. */
export interface Candidate {
  event: UsageEventInput;
  hash: string;
  value: Dec;
  ts: Date;
}

/** The content an event id stands for: what the client sent (a defaulted timestamp is not part of it). */
export function contentHash(e: UsageEventInput): string {
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
export function screenEvent(
  e: UsageEventInput,
): { code: Extract<RejectionCode, 'BAD_ID' | 'BAD_VALUE'>; message: string } | null {
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
 * Step 1, screen: each event alone (shape, timestamp not too far ahead), then repeats within the batch
 * (the first occurrence of an id decides). Pure: nothing is looked up.
 */
export function screen(events: readonly UsageEventInput[], now: Date, verdicts: Verdicts): Candidate[] {
  const firstHash = new Map<string, string>();
  const candidates: Candidate[] = [];
  for (const e of events) {
    const problem = screenEvent(e);
    if (problem) {
      verdicts.reject(e.id, problem.code, problem.message);
      continue;
    }
    const ts = e.timestamp ?? now;
    if (ts.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
      verdicts.reject(e.id, 'BAD_TIMESTAMP', 'timestamp is more than 5 minutes in the future');
      continue;
    }
    const hash = contentHash(e);
    if (firstHash.has(e.id)) {
      verdicts.seenBefore(e.id, firstHash.get(e.id), hash);
      continue;
    }
    firstHash.set(e.id, hash);
    candidates.push({ event: e, hash, value: new Dec(e.value ?? '1'), ts });
  }
  return candidates;
}

/**
 * Step 2, dedupe: an id stored before is answered from what was stored, whatever has changed since
 * (closed period, canceled subscription). Pure: `storedHash` is what the event store holds for these ids.
 */
export function dedupe(
  candidates: readonly Candidate[],
  storedHash: ReadonlyMap<string, string>,
  verdicts: Verdicts,
): Candidate[] {
  return candidates.filter((c) => {
    if (!storedHash.has(c.event.id)) return true;
    verdicts.seenBefore(c.event.id, storedHash.get(c.event.id), c.hash);
    return false;
  });
}
