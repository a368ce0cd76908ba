import { randomFillSync } from 'node:crypto';

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
let lastTime = -1;
/** `encodeTime(lastTime)`: the ids of one millisecond share it. */
let lastTimeText = '';
/** The 16 random base-32 digits of the last id. */
const lastRandom = new Uint8Array(16);
/** Random bytes drawn 4 KiB at a time: one call to the generator per 256 milliseconds that create ids. */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** Fresh random digits (a byte & 31 is uniform: 256 is a multiple of 32). */
function drawRandom(): void {
  if (poolAt + 16 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  for (let i = 0; i < 16; i++) lastRandom[i] = pool[poolAt + i]! & 31;
  poolAt += 16;
}

/** Monotonic ULID: ids created in one process within one millisecond still sort by creation. */
export function ulid(now = Date.now()): string {
  if (now <= lastTime) {
    // the same millisecond (or a clock moved back): the last id's digits plus one
    for (let i = 15; i >= 0; i--) {
      const v = lastRandom[i]!;
      if (v < 31) {
        lastRandom[i] = v + 1;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    drawRandom();
    lastTime = now;
    lastTimeText = encodeTime(now);
  }
  let out = lastTimeText;
  for (let i = 0; i < 16; i++) out += ALPHABET[lastRandom[i]!];
  return out;
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
