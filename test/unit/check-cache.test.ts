import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { FeatureEntity } from '../../src/modules/catalog';
import { CheckCache, type CustomerFacts, type LedgerFacts } from '../../src/modules/holds/check-cache';
import type { CreditCheckView } from '../../src/modules/holds/checks';
import { untilNextInstant } from '../../src/modules/holds/kept-answers';

/** A loader that counts its reads and answers a new object each time (so a kept read is told from a new one). */
function loader(delayMs = 0) {
  const reads: CustomerFacts[] = [];
  return {
    reads,
    load: async (): Promise<CustomerFacts> => {
      if (delayMs) await sleep(delayMs);
      const facts: CustomerFacts = { subscriptions: [], cards: [] };
      reads.push(facts);
      return facts;
    },
  };
}

const now = () => new Date();

describe('CheckCache: the safety-net age', () => {
  it('serves a kept read until its refresh instant, then serves it while one background read replaces it', async () => {
    const cache = new CheckCache({ maxAgeMs: 2000 });
    cache.clock.online();
    const l = loader(20);
    const first = await cache.customer('c1', now(), l.load);
    expect(l.reads).toHaveLength(1);
    expect(await cache.customer('c1', now(), l.load)).toBe(first); // young: no read
    expect(l.reads).toHaveLength(1);

    await sleep(1850); // past its refresh instant (at most 9/10 of its age): served at once, read again behind it
    const served = await Promise.all([1, 2, 3].map(() => cache.customer('c1', now(), l.load)));
    expect(served.every((s) => s === first)).toBe(true);
    expect(cache.stats.refreshes).toBe(1);
    await sleep(100); // the background read landed
    expect(l.reads).toHaveLength(2);
    expect(await cache.customer('c1', now(), l.load)).toBe(l.reads[1]);

    await sleep(200); // the first read is past its age now; the refreshed one (about 300 ms) still serves
    expect(await cache.customer('c1', now(), l.load)).toBe(l.reads[1]);
    expect(cache.stats.misses).toBe(1);
  });

  it('reads kept at once are read again at instants spread between half and 9/10 of their age', async () => {
    const cache = new CheckCache({ maxAgeMs: 2000 });
    cache.clock.online();
    const l = loader();
    const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
    await Promise.all(ids.map((id) => cache.customer(id, now(), l.load)));
    await sleep(800); // before half their age: none
    for (const id of ids) await cache.customer(id, now(), l.load);
    expect(cache.stats.refreshes).toBe(0);
    await sleep(500); // at about 1,300 ms: some (each with chance 3/8), not all at once
    for (const id of ids) await cache.customer(id, now(), l.load);
    expect(cache.stats.refreshes).toBeGreaterThan(0);
    expect(cache.stats.refreshes).toBeLessThan(ids.length);
    await sleep(550); // past 9/10 of their age: every one of the rest
    for (const id of ids) await cache.customer(id, now(), l.load);
    expect(cache.stats.refreshes).toBe(ids.length);
    expect(cache.stats.misses).toBe(ids.length);
  });

  it('a read past its whole age is never served: the check waits for a new one', async () => {
    const cache = new CheckCache({ maxAgeMs: 50 });
    cache.clock.online();
    const l = loader();
    const first = await cache.customer('c1', now(), l.load);
    await sleep(70);
    const second = await cache.customer('c1', now(), l.load);
    expect(second).not.toBe(first);
    expect(cache.stats.misses).toBe(2);
    expect(cache.stats.refreshes).toBe(0);
  });

  it('a background read that a change overtook is not kept', async () => {
    const cache = new CheckCache({ maxAgeMs: 2000 });
    cache.clock.online();
    const l = loader(30);
    await cache.customer('c1', now(), l.load);
    await sleep(1850);
    const kept = await cache.customer('c1', now(), l.load); // starts the background read
    expect(kept).toBe(l.reads[0]);
    cache.clock.changed(['c1'], 'terms'); // committed while the background read runs: it may predate the change
    await sleep(100);
    expect(l.reads).toHaveLength(2);
    const after = await cache.customer('c1', now(), l.load);
    expect(l.reads).toHaveLength(3); // neither the voided read nor the overtaken one served
    expect(after).toBe(l.reads[2]);
  });

  it('a failed background read leaves the kept read to serve until its age runs out', async () => {
    const cache = new CheckCache({ maxAgeMs: 2000 });
    cache.clock.online();
    const good = await cache.customer('c1', now(), async () => ({ subscriptions: [], cards: [] }));
    await sleep(1850);
    let failed = 0;
    const failing = async (): Promise<CustomerFacts> => {
      failed++;
      throw new Error('database away');
    };
    expect(await cache.customer('c1', now(), failing)).toBe(good);
    await sleep(20);
    expect(failed).toBe(1);
    expect(await cache.customer('c1', now(), failing)).toBe(good); // still within its age
    await sleep(250);
    await expect(cache.customer('c1', now(), failing)).rejects.toThrow('database away');
  });
});

describe('CheckCache: what a change voids', () => {
  const ledgerLoader = () => {
    const reads: LedgerFacts[] = [];
    return {
      reads,
      load: async (): Promise<LedgerFacts> => {
        const facts: LedgerFacts = { ledger: null, open: [], holds: [] };
        reads.push(facts);
        return facts;
      },
    };
  };

  it.each([
    { what: 'ledgers' as const, terms: 1, ledgers: 2 },
    { what: 'terms' as const, terms: 2, ledgers: 1 },
  ])('a change of $what re-reads only what depends on it', async ({ what, terms, ledgers }) => {
    const cache = new CheckCache();
    cache.clock.online();
    const c = loader();
    const l = ledgerLoader();
    const usd = ledgerLoader();
    await cache.customer('c1', now(), c.load);
    await cache.ledger('c1', 'eur', now(), l.load);
    await cache.ledger('c1', 'usd', now(), usd.load);
    cache.clock.changed(['c2'], 'terms'); // another customer's change voids nothing of c1
    cache.clock.changed(['c2'], 'ledgers');
    cache.clock.changed(['c1'], what);
    expect(await cache.customer('c1', now(), c.load)).toBe(c.reads.at(-1));
    await cache.ledger('c1', 'eur', now(), l.load);
    await cache.ledger('c1', 'usd', now(), usd.load);
    expect([c.reads.length, l.reads.length, usd.reads.length]).toEqual([terms, ledgers, ledgers]);
    // and what was read again is kept again
    await cache.customer('c1', now(), c.load);
    await cache.ledger('c1', 'eur', now(), l.load);
    expect([c.reads.length, l.reads.length]).toEqual([terms, ledgers]);
  });

  it('a read of one kind overtaken by a change of the other kind is kept', async () => {
    const cache = new CheckCache();
    cache.clock.online();
    const c = loader(30);
    const reading = cache.customer('c1', now(), c.load);
    cache.clock.changed(['c1'], 'ledgers'); // lands while the terms are read: they do not depend on it
    const first = await reading;
    expect(await cache.customer('c1', now(), c.load)).toBe(first);
    expect(c.reads).toHaveLength(1);
  });
});

describe('untilNextInstant: the span an answer stays true for', () => {
  const at = Date.parse('2026-12-01T12:00:00Z');
  const d = (offsetMs: number) => new Date(at + offsetMs);
  it.each([
    ['no rows', [], Infinity],
    ['no dates', [[{ a: 1, b: null, c: 'x' }]], Infinity],
    ['dates before the instant only', [[{ expiresAt: d(-1) }, { activeFrom: d(-60_000) }]], Infinity],
    ['a date at the instant ends the span at once', [[{ expiresAt: d(0), other: d(5) }]], at],
    [
      'the earliest later date, whatever its row or field',
      [[{ a: d(90) }], [{ b: d(-5), c: d(40) }, { e: d(70) }]],
      at + 40,
    ],
    [
      'a null field next to a date',
      [[{ activeTo: null, activeFrom: d(-10), end: d(3_600_000) }]],
      at + 3_600_000,
    ],
  ])('%s', (_name, rows, expected) => {
    expect(untilNextInstant(at, ...(rows as object[][]))).toBe(expected);
  });

  it('reads rows from any iterable (a map of grants) once', () => {
    const grants = new Map([
      ['g1', { expiresAt: d(10) }],
      ['g2', { effectiveAt: d(7) }],
    ]);
    expect(untilNextInstant(at, grants.values())).toBe(at + 7);
  });
});

describe('CheckCache: kept answers', () => {
  const feature = { key: 'f' } as unknown as FeatureEntity;
  const view = { allowed: true } as unknown as CreditCheckView;
  const ledgerFacts = (): LedgerFacts => ({ ledger: null, open: [], holds: [] });

  async function kept(cache: CheckCache, at: number) {
    const facts = await cache.customer('c1', new Date(at), async () => ({ subscriptions: [], cards: [] }));
    const ledger = await cache.ledger('c1', 'cur', new Date(at), async () => ledgerFacts());
    cache.keepAnswer(facts, 'k', { from: at, until: at + 1000, feature, currencyId: 'cur', ledger, view });
    return { facts, ledger };
  }
  const ask = (cache: CheckCache, facts: CustomerFacts, at: number, f = feature, read = ledgerFacts) =>
    cache.answer(facts, 'k', new Date(at), f, (id) =>
      cache.ledger('c1', id, new Date(at), async () => read()),
    );

  it('answers inside its span with the same reads, feature and key; not before or at its end', async () => {
    const cache = new CheckCache();
    cache.clock.online();
    const t0 = Date.now();
    const { facts } = await kept(cache, t0);
    expect(await ask(cache, facts, t0)).toBe(view);
    expect(await ask(cache, facts, t0 + 999)).toBe(view);
    expect(await ask(cache, facts, t0 + 1000)).toBeNull();
    expect(await ask(cache, facts, t0 - 1)).toBeNull();
    expect(await ask(cache, facts, t0, { key: 'f' } as unknown as FeatureEntity)).toBeNull();
    expect(await cache.answer(facts, 'other', new Date(t0), feature, async () => ledgerFacts())).toBeNull();
    expect(cache.stats.answers).toBe(2);
  });

  it('a change of the ledger makes a new read: the answer kept with the old one is not served', async () => {
    const cache = new CheckCache();
    cache.clock.online();
    const t0 = Date.now();
    const { facts } = await kept(cache, t0);
    cache.clock.changed(['c1'], 'ledgers');
    let reads = 0;
    expect(await ask(cache, facts, t0, feature, () => (reads++, ledgerFacts()))).toBeNull();
    expect(reads).toBe(1);
  });

  it('a change of terms makes new customer facts, which carry no answer', async () => {
    const cache = new CheckCache();
    cache.clock.online();
    const t0 = Date.now();
    await kept(cache, t0);
    cache.clock.changed(['c1'], 'terms');
    const facts = await cache.customer('c1', new Date(t0), async () => ({ subscriptions: [], cards: [] }));
    expect(await ask(cache, facts, t0)).toBeNull();
  });

  it('keeps nothing while offline, and nothing with an empty span', async () => {
    const cache = new CheckCache();
    const t0 = Date.now();
    const facts: CustomerFacts = { subscriptions: [], cards: [] };
    const ledger = ledgerFacts();
    cache.keepAnswer(facts, 'k', { from: t0, until: t0 + 1000, feature, currencyId: 'cur', ledger, view });
    cache.clock.online();
    expect(await cache.answer(facts, 'k', new Date(t0), feature, async () => ledger)).toBeNull();
    cache.keepAnswer(facts, 'k', { from: t0, until: t0, feature, currencyId: 'cur', ledger, view });
    expect(await cache.answer(facts, 'k', new Date(t0), feature, async () => ledger)).toBeNull();
    cache.keepAnswer(facts, 'k', { from: t0, until: t0 + 1, feature, currencyId: 'cur', ledger, view });
    expect(await cache.answer(facts, 'k', new Date(t0), feature, async () => ledger)).toBe(view);
  });
});
