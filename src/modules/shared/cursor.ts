import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../core/errors';

/**
 * Opaque cursors: base64url(JSON{k,s}) + '.' + HMAC. `s` is a hash of the query the cursor belongs to
 * (customer, filters), so a cursor from another customer or filter, or a tampered one, is rejected.
 */
export class CursorCodec {
  constructor(private readonly secret: string) {}

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url').slice(0, 22);
  }

  scopeOf(scope: unknown): string {
    return createHmac('sha256', this.secret).update(JSON.stringify(scope)).digest('base64url').slice(0, 12);
  }

  encode(scope: string, key: string | number): string {
    const body = Buffer.from(JSON.stringify({ k: key, s: scope })).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  decode(scope: string, cursor: string): string | number {
    const bad = () => DomainError.badInput('Invalid cursor: it is malformed or belongs to another query');
    const dot = cursor.indexOf('.');
    if (dot <= 0 || cursor.length > 512) throw bad();
    const body = cursor.slice(0, dot);
    const sig = Buffer.from(cursor.slice(dot + 1));
    const expected = Buffer.from(this.mac(body));
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) throw bad();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw bad();
    }
    const p = parsed as { k?: unknown; s?: unknown };
    if (p.s !== scope || (typeof p.k !== 'string' && typeof p.k !== 'number')) throw bad();
    return p.k;
  }
}
