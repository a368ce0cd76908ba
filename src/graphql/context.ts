import DataLoader from 'dataloader';
import type { FeedHub } from '../events/feeds';
import type { Clock } from '../core/clock';
import type { Config } from '../config';
import type { AccessService, Principal } from '../modules/access';
import type { CurrencyEntity } from '../modules/catalog';
import type { ServiceRoot, Services } from '../services';

export type { Services } from '../services';

/** What lives for the whole process and is shared by every request. */
export interface AppDeps {
  config: Config;
  clock: Clock;
  access: AccessService;
  /** Builds the services of one request or one subscription event (src/services.ts). */
  services: ServiceRoot;
  /** Live feeds of this process (graphql-ws subscriptions). */
  feeds: FeedHub;
}

function mapLoader<V>(
  load: (ids: readonly string[]) => Promise<Map<string, V>>,
): DataLoader<string, V | null> {
  return new DataLoader<string, V | null>(async (ids) => {
    const found = await load(ids);
    return ids.map((id) => found.get(id) ?? null);
  });
}

function listLoader<V>(load: (ids: readonly string[]) => Promise<Map<string, V[]>>): DataLoader<string, V[]> {
  return new DataLoader<string, V[]>(async (ids) => {
    const found = await load(ids);
    return ids.map((id) => found.get(id) ?? []);
  });
}

/** Per-request loaders so a page of N objects resolves its relations in a fixed number of queries. */
export function createLoaders(s: Services) {
  return {
    currency: mapLoader((ids) => s.catalog.currenciesByIds(ids)),
    currencyByCode: mapLoader((codes) => s.catalog.currenciesByCodes(codes)),
    feature: mapLoader((ids) => s.catalog.featuresByIds(ids)),
    plan: mapLoader((ids) => s.catalog.plansByIds(ids)),
    rateCards: listLoader((ids) => s.catalog.rateCardsByPlanIds(ids)),
    creditAllocations: listLoader((ids) => s.catalog.creditAllocationsByPlanIds(ids)),
    customer: mapLoader((ids) => s.customers.byIds(ids)),
    subjectKeys: listLoader((ids) => s.customers.subjectKeysByCustomerIds(ids)),
    subscriptionsByCustomer: listLoader((ids) => s.subscriptions.byCustomerIds(ids)),
    subscription: mapLoader((ids) => s.subscriptions.byIds(ids)),
    grant: mapLoader((ids) => s.ledger.grantsByIds(ids)),
    movement: mapLoader((ids) => s.ledger.movementsByIds(ids)),
    allocations: listLoader((ids) => s.ledger.allocationsByMovementIds(ids)),
    invoice: mapLoader((ids) => s.invoices.byIds(ids)),
    charge: mapLoader((ids) => s.charges.byIds(ids)),
    autoTopUps: listLoader((ids) => s.topUps.byCustomerIds(ids)),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;

/**
 * Maps entities that each carry a `currencyId` to API objects, loading each distinct currency once (one
 * batched query per request, whatever the number of entities).
 */
export async function withCurrencies<E extends { currencyId: string }, T>(
  ctx: Context,
  items: readonly E[],
  map: (item: E, currency: CurrencyEntity) => T,
): Promise<T[]> {
  const ids = [...new Set(items.map((i) => i.currencyId))];
  const loaded = await ctx.loaders.currency.loadMany(ids);
  const byId = new Map<string, CurrencyEntity>();
  loaded.forEach((c, i) => {
    if (c instanceof Error) throw c;
    if (!c) throw new Error(`currency ${ids[i]} is missing`);
    byId.set(c.id, c);
  });
  return items.map((i) => map(i, byId.get(i.currencyId)!));
}

export interface Context {
  principal: Principal;
  deps: AppDeps;
  feeds: FeedHub;
  services: Services;
  loaders: Loaders;
  /** One "now" per request, so every field of one response agrees on time. */
  now: Date;
}

export function createContext(deps: AppDeps, principal: Principal): Context {
  // one instant per request: services and field resolvers agree on what "now" is
  const now = deps.clock.now();
  const services = deps.services.open({ clock: { now: () => now } });
  return { principal, deps, feeds: deps.feeds, services, loaders: createLoaders(services), now };
}

/** For a subscription event: a new instant, EntityManager and loaders, on the same principal. */
export function renewContext(ctx: Context): void {
  const fresh = createContext(ctx.deps, ctx.principal);
  ctx.services = fresh.services;
  ctx.loaders = fresh.loaders;
  ctx.now = fresh.now;
}
