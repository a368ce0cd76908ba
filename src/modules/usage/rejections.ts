/** Why an event was rejected (SPEC §8): each rejected event carries exactly one of these. */
export const RejectionCode = {
  /** The id is empty, longer than 200 characters, or text PostgreSQL cannot store. */
  BAD_ID: 'BAD_ID',
  /** The value, subject, type or data cannot be used (grammar, sign, size, depth, unstorable text). */
  BAD_VALUE: 'BAD_VALUE',
  /** The timestamp is more than 5 minutes in the future. */
  BAD_TIMESTAMP: 'BAD_TIMESTAMP',
  UNKNOWN_SUBJECT: 'UNKNOWN_SUBJECT',
  UNKNOWN_EVENT_TYPE: 'UNKNOWN_EVENT_TYPE',
  NO_ACTIVE_SUBSCRIPTION: 'NO_ACTIVE_SUBSCRIPTION',
  NO_RATE_CARD: 'NO_RATE_CARD',
  /** The billing period of the event's time is closed and settled. */
  PERIOD_CLOSED: 'PERIOD_CLOSED',
  /** The id was sent before with different content. */
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
} as const;
export type RejectionCode = (typeof RejectionCode)[keyof typeof RejectionCode];

export interface RejectedEvent {
  id: string;
  code: RejectionCode;
  message: string;
}

/**
 * What a batch has decided so far about the events that will not be accepted: rejections (in the order
 * they were found) and duplicates. A retried transaction starts again from a copy of the outcome of the
 * checks made before it.
 */
export class Verdicts {
  constructor(
    readonly rejected: RejectedEvent[] = [],
    public duplicates = 0,
  ) {}

  copy(): Verdicts {
    return new Verdicts([...this.rejected], this.duplicates);
  }

  reject(id: string, code: RejectionCode, message: string): void {
    this.rejected.push({ id, code, message });
  }

  /**
   * An id seen before (earlier in the batch, or stored) is answered from what was first seen: the same
   * content is a duplicate, other content a conflict (SPEC §8).
   */
  seenBefore(id: string, firstHash: string | undefined, hash: string): void {
    if (firstHash === hash) this.duplicates++;
    else this.reject(id, 'IDEMPOTENCY_CONFLICT', `event ${id} was already sent with different content`);
  }

  periodClosed(id: string, ts: Date): void {
    this.reject(id, 'PERIOD_CLOSED', `the billing period of ${ts.toISOString()} is closed and settled`);
  }
}
