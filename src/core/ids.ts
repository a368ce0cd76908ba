import { randomBytes } from 'node:crypto';

/**
 * Ids are `<prefix>_<ulid>`: the prefix names the type (so `node(id)` can dispatch and a
 * wrong-type id is rejected early), the ULID sorts by creation time.
 */
export const IdPrefix = {
  Currency: 'cur',
  Feature: 'fea',
  Plan: 'pln',
  RateCard: 'rtc',
  Customer: 'cus',
  Subscription: 'sub',
  CreditGrant: 'grt',
  CreditMovement: 'mov',
  Charge: 'chg',
  Invoice: 'inv',
  Ledger: 'led',
  UsageEvent: 'evt',
  CreditAllocation: 'cal',
  AutoTopUp: 'atu',
  CreditHold: 'hld',
} as const;
export type IdPrefix = (typeof IdPrefix)[keyof typeof IdPrefix];

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** Monotonic ULID: ids created in one process within one millisecond still sort by creation. */
export function ulid(now = Date.now()): string {
  if (now <= lastTime && lastRandom.length === 16) {
    now = lastTime;
    for (let i = 15; i >= 0; i--) {
      const v = lastRandom[i]!;
      if (v < 31) {
        lastRandom[i] = v + 1;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    const bytes = randomBytes(16);
    lastRandom = Array.from(bytes, (b) => b % 32);
    lastTime = now;
  }
  return encodeTime(now) + lastRandom.map((v) => ALPHABET[v]).join('');
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

const ID_RE = /^([a-z]{3})_[0-9A-HJKMNP-TV-Z]{26}$/;

export function prefixOf(id: string): string | null {
  const m = ID_RE.exec(id);
  return m ? m[1]! : null;
}

export function isIdOf(prefix: IdPrefix, id: string): boolean {
  return prefixOf(id) === prefix;
}
