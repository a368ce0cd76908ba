import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from './core/clock';
import { AccessService } from './modules/access';
import { AlertsService } from './modules/alerts';
import { CatalogService } from './modules/catalog';
import { CustomersService } from './modules/customers';
import { ExportsService } from './modules/exports';
import { CheckCache, HoldsService } from './modules/holds';
import { InvoicesService } from './modules/invoices';
import { KeptHistory, LedgerService } from './modules/ledger';
import { AllocationsService, CreditPurchases, RolloverService, TopUpService } from './modules/programs';
import { ReconcileService } from './modules/reconcile';
import { SettlementService } from './modules/settlement';
import { ChangeClock, CursorCodec } from './modules/shared';
import { SubscriptionsService } from './modules/subscriptions';
import { ChargesService, UsageService } from './modules/usage';
import { WebhooksService, type WebhookOptions } from './modules/webhooks';

/** What the services of one process are built from. */
export interface ServiceDeps {
  /** A fresh EntityManager fork (with its own identity map) for one unit of work. */
  fork(): EntityManager;
  clock: Clock;
  /** Signs cursors and customer tokens. */
  secret: string;
  /** Admin API keys; none outside the server (jobs, command-line tools). */
  adminKeys?: readonly string[];
  /** How webhooks are checked and delivered (defaults: no SSRF guard, SPEC §15's schedule). */
  webhooks?: WebhookOptions;
}

/**
 * Every module service, bound to one EntityManager fork: built once per request, subscription event or
 * job run, so one unit of work shares one identity map, and units of work never share one.
 */
export interface Services {
  readonly em: EntityManager;
  /** The clock these services read "now" from (a request pins one instant). */
  readonly clock: Clock;
  readonly access: AccessService;
  readonly alerts: AlertsService;
  /** Plan credit allocations and their rollover (SPEC §14), run by the programs job. */
  readonly allocations: AllocationsService;
  readonly rollovers: RolloverService;
  readonly catalog: CatalogService;
  readonly charges: ChargesService;
  readonly customers: CustomersService;
  /** Movement exports and the credit report (read-only). */
  readonly exports: ExportsService;
  readonly invoices: InvoicesService;
  readonly ledger: LedgerService;
  readonly reconcile: ReconcileService;
  readonly settlement: SettlementService;
  readonly subscriptions: SubscriptionsService;
  /** Included credits and credit purchases (SPEC §14). */
  readonly purchases: CreditPurchases;
  /** Auto top-up rules and their trigger (SPEC §14). */
  readonly topUps: TopUpService;
  /** Credit holds, checks and forecasts (SPEC §16). */
  readonly holds: HoldsService;
  readonly usage: UsageService;
  readonly webhooks: WebhooksService;
}

/** What the process keeps in memory between requests, exact by one change counter (`ChangeClock`). */
interface Kept {
  checks: CheckCache;
  history: KeptHistory;
}

/** The composition root of the modules: what lives for the whole process, and the per-fork services. */
export interface ServiceRoot {
  readonly clock: Clock;
  readonly cursors: CursorCodec;
  readonly access: AccessService;
  /**
   * The change counter that keeps exact what the process keeps between requests (the check cache of SPEC §16
   * "Speed", the first page of history). Nothing kept is served until the app has its change listener
   * connected (`online`), so command-line tools and jobs without one always read.
   */
  readonly changes: ChangeClock;
  /** Every service on a fresh fork (or on `em`), reading time from `clock` (the process clock by default). */
  open(opts?: { em?: EntityManager; clock?: Clock }): Services;
}

/**
 * The one place services are constructed: the GraphQL context, the live feeds, the jobs and the
 * command-line tools all take them from here.
 */
/** What an auto top-up check reads, from the services of one EntityManager. */
function topUpReads(s: Pick<Services, 'ledger' | 'catalog' | 'subscriptions'>) {
  return {
    ledger: s.ledger,
    catalog: s.catalog,
    creditPrice: (customerId: string, currencyId: string, at: Date) =>
      s.subscriptions.creditPriceFor(customerId, currencyId, at),
  };
}

export function createServices(deps: ServiceDeps): ServiceRoot {
  const cursors = new CursorCodec(deps.secret);
  const access = new AccessService(deps.adminKeys ?? [], deps.secret, deps.clock);
  const changes = new ChangeClock();
  const kept: Kept = { checks: new CheckCache({}, changes), history: new KeptHistory(changes) };
  return {
    clock: deps.clock,
    cursors,
    access,
    changes,
    open,
  };
  function open(opts: { em?: EntityManager; clock?: Clock } = {}): Services {
    return new LazyServices(deps, cursors, access, kept, opts.clock ?? deps.clock, opts.em);
  }
}

/**
 * The services of one unit of work, each built the first time it is used, on an EntityManager forked the first
 * time one is needed: a request that answers from memory (a kept check) or uses two services pays for those,
 * not for a fork and eighteen constructions (measured: 5-7% of the main thread at 1,400 checks/s).
 */
class LazyServices implements Services {
  private made = new Map<keyof Services, unknown>();
  private forked: EntityManager | undefined;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly cursors: CursorCodec,
    readonly access: AccessService,
    private readonly kept: Kept,
    readonly clock: Clock,
    em: EntityManager | undefined,
  ) {
    this.forked = em;
  }

  get em(): EntityManager {
    return (this.forked ??= this.deps.fork());
  }

  private once<K extends keyof Services>(key: K, make: () => Services[K]): Services[K] {
    let made = this.made.get(key) as Services[K] | undefined;
    if (made === undefined) this.made.set(key, (made = make()));
    return made;
  }

  get alerts() {
    return this.once('alerts', () => new AlertsService(this.em));
  }
  get allocations() {
    return this.once('allocations', () => new AllocationsService(this.em, this.clock, this.ledger));
  }
  get rollovers() {
    return this.once('rollovers', () => new RolloverService(this.em, this.clock, this.ledger));
  }
  get catalog() {
    return this.once('catalog', () => new CatalogService(this.em, this.cursors));
  }
  get charges() {
    return this.once('charges', () => new ChargesService(this.em, this.cursors));
  }
  get customers() {
    return this.once('customers', () => new CustomersService(this.em, this.cursors));
  }
  get exports() {
    return this.once('exports', () => new ExportsService(this.em));
  }
  get invoices() {
    return this.once('invoices', () => new InvoicesService(this.em, this.cursors));
  }
  get ledger() {
    return this.once(
      'ledger',
      () => new LedgerService(this.em, this.clock, this.cursors, this.invoices, this.kept.history),
    );
  }
  get reconcile() {
    return this.once('reconcile', () => new ReconcileService(this.em));
  }
  get settlement() {
    return this.once('settlement', () => new SettlementService(this.em, this.clock, this.invoices));
  }
  get subscriptions() {
    return this.once('subscriptions', () => new SubscriptionsService(this.em, this.clock));
  }
  get purchases() {
    return this.once(
      'purchases',
      () =>
        new CreditPurchases(this.em, this.clock, { ledger: this.ledger, subscriptions: this.subscriptions }),
    );
  }
  get topUps() {
    return this.once(
      'topUps',
      () =>
        new TopUpService(this.em, this.clock, {
          ...topUpReads(this),
          customers: this.customers,
          on: (other) =>
            topUpReads(new LazyServices(this.deps, this.cursors, this.access, this.kept, this.clock, other)),
        }),
    );
  }
  get holds() {
    return this.once('holds', () => new HoldsService(this, this.clock, this.cursors, this.kept.checks));
  }
  get usage() {
    return this.once('usage', () => new UsageService(this.em, this.clock));
  }
  get webhooks() {
    return this.once('webhooks', () => new WebhooksService(this.em, this.cursors, this.deps.webhooks));
  }
}
