import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from './core/clock';
import { AccessService } from './modules/access';
import { AlertsService } from './modules/alerts';
import { CatalogService } from './modules/catalog';
import { CustomersService } from './modules/customers';
import { ExportsService } from './modules/exports';
import { CheckCache, HoldsService } from './modules/holds';
import { InvoicesService } from './modules/invoices';
import { LedgerService } from './modules/ledger';
import { AllocationsService, CreditPurchases, RolloverService, TopUpService } from './modules/programs';
import { ReconcileService } from './modules/reconcile';
import { SettlementService } from './modules/settlement';
import { CursorCodec } from './modules/shared';
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

/** The composition root of the modules: what lives for the whole process, and the per-fork services. */
export interface ServiceRoot {
  readonly clock: Clock;
  readonly cursors: CursorCodec;
  readonly access: AccessService;
  /**
   * What `checkCredits` keeps between requests (SPEC §16 "Speed"). It serves nothing until the app has its
   * change listener connected (`online`), so command-line tools and jobs without one always read.
   */
  readonly checkCache: CheckCache;
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
  const checkCache = new CheckCache();
  return {
    clock: deps.clock,
    cursors,
    access,
    checkCache,
    open,
  };
  function open(opts: { em?: EntityManager; clock?: Clock } = {}): Services {
    const em = opts.em ?? deps.fork();
    const clock = opts.clock ?? deps.clock;
    const invoices = new InvoicesService(em, cursors);
    const ledger = new LedgerService(em, clock, cursors, invoices);
    const catalog = new CatalogService(em, cursors);
    const customers = new CustomersService(em, cursors);
    const subscriptions = new SubscriptionsService(em, clock);
    return {
      em,
      clock,
      access,
      alerts: new AlertsService(em),
      allocations: new AllocationsService(em, clock, ledger),
      rollovers: new RolloverService(em, clock, ledger),
      catalog,
      charges: new ChargesService(em, cursors),
      customers,
      exports: new ExportsService(em),
      invoices,
      ledger,
      reconcile: new ReconcileService(em),
      settlement: new SettlementService(em, clock, invoices),
      subscriptions,
      purchases: new CreditPurchases(em, clock, { ledger, subscriptions }),
      topUps: new TopUpService(em, clock, {
        ...topUpReads({ ledger, catalog, subscriptions }),
        customers,
        on: (other) => topUpReads(open({ em: other, clock })),
      }),
      holds: new HoldsService(em, clock, cursors, invoices, checkCache),
      usage: new UsageService(em, clock),
      webhooks: new WebhooksService(em, cursors, deps.webhooks),
    };
  }
}
