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

/**
 * Per-request loaders so a page of N objects resolves its relations in a fixed number of queries. Each is
 * made on first use: most requests need one or two of them, and a DataLoader is not free to build.
 */
export class Loaders {
  private readonly made = new Map<string, unknown>();
  constructor(private readonly s: Services) {}

  private once<T>(name: string, make: () => T): T {
    let l = this.made.get(name) as T | undefined;
    if (l === undefined) this.made.set(name, (l = make()));
    return l;
  }

  get currency() {
    return this.once('currency', () => mapLoader((ids) => this.s.catalog.currenciesByIds(ids)));
  }

  get currencyByCode() {
    return this.once('currencyByCode', () => mapLoader((codes) => this.s.catalog.currenciesByCodes(codes)));
  }

  get feature() {
    return this.once('feature', () => mapLoader((ids) => this.s.catalog.featuresByIds(ids)));
  }

  get plan() {
    return this.once('plan', () => mapLoader((ids) => this.s.catalog.plansByIds(ids)));
  }

  get rateCards() {
    return this.once('rateCards', () => listLoader((ids) => this.s.catalog.rateCardsByPlanIds(ids)));
  }

  get creditAllocations() {
    return this.once('creditAllocations', () =>
      listLoader((ids) => this.s.catalog.creditAllocationsByPlanIds(ids)),
    );
  }

  get customer() {
    return this.once('customer', () => mapLoader((ids) => this.s.customers.byIds(ids)));
  }

  get subjectKeys() {
    return this.once('subjectKeys', () =>
      listLoader((ids) => this.s.customers.subjectKeysByCustomerIds(ids)),
    );
  }

  get subscriptionsByCustomer() {
    return this.once('subscriptionsByCustomer', () =>
      listLoader((ids) => this.s.subscriptions.byCustomerIds(ids)),
    );
  }

  get subscription() {
    return this.once('subscription', () => mapLoader((ids) => this.s.subscriptions.byIds(ids)));
  }

  get grant() {
    return this.once('grant', () => mapLoader((ids) => this.s.ledger.grantsByIds(ids)));
  }

  get movement() {
    return this.once('movement', () => mapLoader((ids) => this.s.ledger.movementsByIds(ids)));
  }

  get allocations() {
    return this.once('allocations', () => listLoader((ids) => this.s.ledger.allocationsByMovementIds(ids)));
  }

  get invoice() {
    return this.once('invoice', () => mapLoader((ids) => this.s.invoices.byIds(ids)));
  }

  get charge() {
    return this.once('charge', () => mapLoader((ids) => this.s.charges.byIds(ids)));
  }

  get autoTopUps() {
    return this.once('autoTopUps', () => listLoader((ids) => this.s.topUps.byCustomerIds(ids)));
  }
}

export function createLoaders(s: Services): Loaders {
  return new Loaders(s);
}

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
