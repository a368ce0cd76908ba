import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock';
import { DomainError, ErrorCode } from '../../core/errors';

/** Who is calling: an admin API key, or a customer token scoped to one customer. */
export type Principal = { kind: 'admin' } | { kind: 'customer'; customerId: string; expiresAt: Date };

const TOKEN_PREFIX = 'ddc1';
/** `ddc1.<base64url payload>.<base64url HMAC-SHA256, 43 characters>`, nothing else. */
const CUSTOMER_TOKEN = /^ddc1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Verifies bearer tokens. Admin keys are compared as SHA-256 digests in constant time; customer tokens
 * are `ddc1.<base64url payload>.<HMAC-SHA256>` signed with the instance secret, carrying the customer
 * id and an expiry.
 */
export class AccessService {
  private readonly adminDigests: Buffer[];

  constructor(
    adminKeys: readonly string[],
    private readonly secret: string,
    private readonly clock: Clock,
  ) {
    this.adminDigests = adminKeys.map(digest);
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(`${TOKEN_PREFIX}.${body}`).digest('base64url');
  }

  issueCustomerToken(customerId: string, ttlSeconds: number): { token: string; expiresAt: Date } {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
      throw DomainError.badInput(`ttlSeconds must be between 1 and ${MAX_TOKEN_TTL_SECONDS}`);
    }
    // whole seconds in the token, rounded up: a token lives at least the `ttlSeconds` asked for (rounded down,
    // one of 1 s issued late in a second was expired almost at once)
    const expiresAt = new Date(Math.ceil(this.clock.now().getTime() / 1000 + ttlSeconds) * 1000);
    const body = Buffer.from(JSON.stringify({ c: customerId, e: expiresAt.getTime() / 1000 })).toString(
      'base64url',
    );
    return { token: `${TOKEN_PREFIX}.${body}.${this.sign(body)}`, expiresAt };
  }

  /** The principal of an `Authorization` value (with or without "Bearer "); UNAUTHENTICATED otherwise. */
  authenticate(authorization: string | null | undefined): Principal {
    const unauth = (msg: string) => new DomainError(ErrorCode.UNAUTHENTICATED, msg);
    if (!authorization) throw unauth('Missing Authorization: Bearer <token>');
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!m) throw unauth('Authorization must be "Bearer <token>"');
    const token = m[1]!;
    if (token.startsWith(`${TOKEN_PREFIX}.`)) {
      // exactly prefix, payload and signature: anything appended or missing is not this token
      const parts = CUSTOMER_TOKEN.exec(token);
      if (!parts) throw unauth('Malformed customer token');
      const body = parts[1]!;
      const sig = parts[2]!;
      const expected = Buffer.from(this.sign(body));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw unauth('Invalid token');
      let payload: { c?: unknown; e?: unknown };
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { c?: unknown; e?: unknown };
      } catch {
        throw unauth('Malformed customer token');
      }
      if (typeof payload.c !== 'string' || typeof payload.e !== 'number')
        throw unauth('Malformed customer token');
      const expiresAt = new Date(payload.e * 1000);
      if (expiresAt <= this.clock.now()) throw unauth('Token expired');
      return { kind: 'customer', customerId: payload.c, expiresAt };
    }
    const d = digest(token);
    if (this.adminDigests.some((a) => timingSafeEqual(a, d))) return { kind: 'admin' };
    throw unauth('Invalid token');
  }
}

/** Customer tokens read only their own customer: anything else looks like it does not exist. */
export function assertCanRead(p: Principal, customerId: string, what = 'Customer'): void {
  if (p.kind === 'customer' && p.customerId !== customerId) throw DomainError.notFound(what, customerId);
}

export function assertAdmin(p: Principal): void {
  if (p.kind !== 'admin') throw new DomainError(ErrorCode.FORBIDDEN, 'This operation needs an admin API key');
}
