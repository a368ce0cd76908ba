import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/errors';
import { AccessService } from '../../src/modules/access/service';

/** Customer tokens' expiry: whole seconds in the token, never shorter than the lifetime asked for. */
describe('issueCustomerToken expiry', () => {
  const at = (ms: number) => new AccessService([], 'secret', { now: () => new Date(ms) });

  it.each([
    // [issued at (ms), ttlSeconds, expiresAt (ms)]
    [1_700_000_000_000, 1, 1_700_000_001_000],
    [1_700_000_000_001, 1, 1_700_000_002_000],
    [1_700_000_000_999, 1, 1_700_000_002_000],
    [1_700_000_000_500, 3600, 1_700_003_601_000],
  ])('issued at %i with ttl %i s expires at %i', (issued, ttl, expires) => {
    const { expiresAt } = at(issued).issueCustomerToken('cus_x', ttl);
    expect(expiresAt.getTime()).toBe(expires);
    expect(expiresAt.getTime() - issued).toBeGreaterThanOrEqual(ttl * 1000);
  });

  it('a token issued in the last millisecond of a second still authenticates a second later, not after its expiry', () => {
    let now = 1_700_000_000_999;
    const access = new AccessService([], 'secret', { now: () => new Date(now) });
    const { token, expiresAt } = access.issueCustomerToken('cus_x', 1);
    now += 999;
    expect(access.authenticate(`Bearer ${token}`)).toMatchObject({ kind: 'customer', customerId: 'cus_x' });
    now = expiresAt.getTime();
    expect(() => access.authenticate(`Bearer ${token}`)).toThrow(DomainError);
  });
});
