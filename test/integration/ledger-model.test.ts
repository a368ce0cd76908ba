import 'reflect-metadata';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Clock } from '../../src/core/clock';
import { migrate, openOrm, type Orm } from '../../src/db/orm';
import { allEntities } from '../../src/modules';
import { grantStatusAt } from '../../src/modules/ledger';
import { createServices } from '../../src/services';
import { uniq, uniqCode } from '../support/app';
import { checkLedgerInvariants } from '../support/invariants';

/**
 * Model-based test: random sequences of grant / adjust / deduct / void / time-passes steps are driven
 * through LedgerService against PostgreSQL with a controlled clock, and after every step the ledger
 * invariants hold and the balance and each grant's remaining match a small independent model.
 */
let orm: Orm;
let nowMs = Date.UTC(2030, 0, 1);
const clock: Clock = { now: () => new Date(nowMs) };

beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), allEntities, 4);
  await migrate(orm);
});
afterAll(async () => {
  await orm.close(true);
});

/** The services as the server builds them, each call on a fresh fork. */
const root = createServices({ fork: () => orm.em.fork(), clock, secret: 'model-test-secret' });
const services = (c: Clock = clock) => root.open({ clock: c });
const ledgerService = () => services().ledger;

interface ModelGrant {
  id: string;
  priority: number;
  expiresAt: number | null;
  order: number;
  remaining: number; // in cents
  gone: boolean; // voided or expired
  voided: boolean;
}

type Cmd =
  | { kind: 'grant'; cents: number; priority: number; expiresInMin: number | null }
  | { kind: 'adjust'; cents: number }
  | { kind: 'deduct'; cents: number }
  | { kind: 'void'; pick: number }
  | { kind: 'advance'; minutes: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    kind: fc.constant('grant' as const),
    cents: fc.integer({ min: 1, max: 10_000 }),
    priority: fc.integer({ min: 1, max: 3 }),
    expiresInMin: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('adjust' as const), cents: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({ kind: fc.constant('deduct' as const), cents: fc.integer({ min: 1, max: 15_000 }) }),
  fc.record({ kind: fc.constant('void' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 40 }) }),
);

const money = (cents: number) => (cents / 100).toFixed(2);

describe('ledger model', () => {
  it('keeps every invariant and matches the model after each step of random sequences', async () => {
    const catalog = services().catalog;
    const currency = uniqCode('M');
    await catalog.createCurrency({ code: currency, name: 'Model', scale: 2 });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 14 }), async (cmds) => {
        runs++;
        const customer = await services().customers.create({
          key: uniq('model'),
          name: 'Model',
        });
        const grants: ModelGrant[] = [];
        let order = 0;
        const live = (g: ModelGrant) => !g.gone && (g.expiresAt === null || g.expiresAt > nowMs);
        const drawOrder = () =>
          grants
            .filter((g) => live(g) && g.remaining > 0)
            .sort(
              (a, b) =>
                a.priority - b.priority ||
                (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) ||
                a.order - b.order,
            );
        for (const c of cmds) {
          const svc = ledgerService();
          switch (c.kind) {
            case 'grant': {
              const expiresAt = c.expiresInMin === null ? null : nowMs + c.expiresInMin * 60_000;
              const g = await svc.createGrant({
                customerId: customer.id,
                currency,
                amount: money(c.cents),
                fundingMethod: 'PROMOTIONAL',
                priority: c.priority,
                expiresAt: expiresAt === null ? null : new Date(expiresAt),
              });
              grants.push({
                id: g.id,
                priority: c.priority,
                expiresAt,
                order: order++,
                remaining: c.cents,
                gone: false,
                voided: false,
              });
              nowMs += 1; // distinct creation instants keep the model's tiebreak simple
              break;
            }
            case 'adjust': {
              const m = await svc.adjustCredits({
                customerId: customer.id,
                currency,
                amount: money(c.cents),
                reason: 'add',
              });
              grants.push({
                id: m.grantId!,
                priority: 10,
                expiresAt: null,
                order: order++,
                remaining: c.cents,
                gone: false,
                voided: false,
              });
              nowMs += 1;
              break;
            }
            case 'deduct': {
              const available = drawOrder().reduce((s, g) => s + g.remaining, 0);
              const attempt = svc.adjustCredits({
                customerId: customer.id,
                currency,
                amount: `-${money(c.cents)}`,
                reason: 'use',
              });
              if (c.cents > available) {
                await expect(attempt).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
              } else {
                await attempt;
                let left = c.cents;
                for (const g of drawOrder()) {
                  const take = Math.min(left, g.remaining);
                  g.remaining -= take;
                  left -= take;
                }
              }
              break;
            }
            case 'void': {
              if (grants.length === 0) break;
              const g = grants[c.pick % grants.length]!;
              const attempt = svc.voidGrant(g.id, 'model');
              if (g.voided) {
                // voiding a voided grant succeeds unchanged, whatever time it is
                expect((await attempt).voidedAt).not.toBeNull();
              } else if (g.expiresAt !== null && g.expiresAt <= nowMs) {
                await expect(attempt).rejects.toMatchObject({ code: 'INVALID_STATE' });
                g.gone = true;
              } else if (g.remaining === 0) {
                await expect(attempt).rejects.toMatchObject({ code: 'INVALID_STATE' });
              } else {
                await attempt;
                g.remaining = 0;
                g.gone = true;
                g.voided = true;
              }
              break;
            }
            case 'advance': {
              nowMs += c.minutes * 60_000;
              await svc.bookDue(
                (await svc.ledgerIdFor(customer.id, (await catalog.currencyByCode(currency)).id))!,
              );
              for (const g of grants) if (!live(g)) g.gone = true;
              break;
            }
          }
          const expected = grants.filter(live).reduce((s, g) => s + g.remaining, 0);
          const balances = await ledgerService().balances(customer.id, currency);
          expect(balances[0]?.settled ?? '0.00').toBe(money(expected));
          const stored = await ledgerService().grantsByIds(grants.map((g) => g.id));
          for (const g of grants) {
            const view = grantStatusAt(stored.get(g.id)!, clock.now());
            expect(view.remaining.toFixed(2), `grant ${g.id}`).toBe(live(g) ? money(g.remaining) : '0.00');
          }
          await checkLedgerInvariants([customer.id]);
        }
      }),
      {
        numRuns: 25,
        // once found by a random run: void, expire, void again must succeed unchanged
        examples: [
          [
            [
              { kind: 'grant', cents: 1, priority: 1, expiresInMin: 1 },
              { kind: 'void', pick: 0 },
              { kind: 'advance', minutes: 1 },
              { kind: 'void', pick: 0 },
              { kind: 'advance', minutes: 1 },
            ],
          ],
        ],
      },
    );
    expect(runs).toBe(25);
  });
});

describe('outbox retention', () => {
  it('prunes outbox rows older than the retention and keeps the movements', async () => {
    const catalog = services().catalog;
    const currency = uniqCode('R');
    await catalog.createCurrency({ code: currency, name: 'Retention', scale: 2 });
    const customer = await services().customers.create({
      key: uniq('ret'),
      name: 'R',
    });
    const at = (ms: number) => {
      return services({ now: () => new Date(ms) }).ledger;
    };
    await at(Date.now()).createGrant({
      customerId: customer.id,
      currency,
      amount: '1',
      fundingMethod: 'PROMOTIONAL',
    });
    const count = async (table: 'outbox' | 'movement') =>
      Number(
        (
          await orm.em
            .fork()
            .execute<{ n: string }[]>(`select count(*) as n from ${table} where customer_id = ?`, [
              customer.id,
            ])
        )[0]!.n,
      );
    expect(await count('outbox')).toBe(1);
    // nothing is old enough yet
    await at(Date.now()).pruneOutbox(3600_000);
    expect(await count('outbox')).toBe(1);
    // an hour later (by the service's clock) with a one-minute retention, the row goes; the movement stays
    await at(Date.now() + 3600_000).pruneOutbox(60_000);
    expect(await count('outbox')).toBe(0);
    expect(await count('movement')).toBe(1);
    await checkLedgerInvariants([customer.id]);
  });
});
