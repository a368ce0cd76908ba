import { performance } from 'node:perf_hooks';
import type { CurrencyEntity, FeatureEntity, RatingCard } from '../catalog';
import type { ActiveHold, LockedLedger } from '../ledger';
import { ChangeClock, type ChangeKind } from '../shared';
import type { RatingSubscription } from '../subscriptions';
import type { OpenChargeView } from '../usage';
import type { CreditCheckView } from './checks';
import { KeptAnswers, type KeptAnswer } from './kept-answers';

/** What a check needs of a customer besides its ledger: where its usage would go. */
export interface CustomerFacts {
  subscriptions: RatingSubscription[];
  cards: RatingCard[];
}

/**
 * What a check needs of one ledger, as read: its rows without due work booked (a check books what is due at its
 * own instant on copies, `LedgerTx.peekRead`), its open charges, and the holds still HELD at the read's instant
 * with their `expiresAt` (a check counts those still HELD at its own instant).
 */
export interface LedgerFacts {
  /** Null when the customer has no ledger in the currency yet. */
  ledger: LockedLedger | null;
  open: OpenChargeView[];
  holds: ActiveHold[];
}

export interface CheckCacheOptions {
  /** Customers kept (least recently used dropped first); 10,000 by default. */
  maxCustomers?: number;
  /**
   * A safety net, not the mechanism: a kept read older than this (milliseconds of process time) is read again.
   * It bounds the damage of a change notification that was never sent (a failed `pg_notify`); 5,000 by default.
   */
  maxAgeMs?: number;
}

interface Part<T> {
  /** The change counter when the read began: the read is only as new as this. */
  epoch: number;
  /** The check instant the read was made for: it serves checks at this instant or later. */
  readAt: number;
  /** Process time of the read, for `maxAgeMs`. */
  loadedAt: number;
  /** Process time after which it is read again in the background: drawn between 1/2 and 9/10 of `maxAgeMs`. */
  refreshAt: number;
  value: T;
}

interface Entry {
  customer: Part<CustomerFacts> | null;
  /** By currency id. */
  ledgers: Map<string, Part<LedgerFacts>>;
}

interface Flight<T> {
  epoch: number;
  readAt: number;
  promise: Promise<T>;
}

/**
 * What a change voids: a customer's `ledgers` (their rows, open charges and holds), or their `terms` (where
 * their usage goes, read as `CustomerFacts`); the process's `ChangeClock` counts them.
 */
export type CheckChange = ChangeKind;

export interface CheckCacheStats {
  hits: number;
  misses: number;
  /** Change signals received (local commits and notifications). */
  changes: number;
  /** Background reads of kept parts past their refresh instant (served meanwhile, counted as hits too). */
  refreshes: number;
  /** Checks answered with a kept answer (their reads were hits too). */
  answers: number;
}

/**
 * The check cache (SPEC §16 "Speed"; the consistency argument is in docs/holds-and-checks.md, "Fast checks").
 * It keeps, for the hot customers of this process, what `checkCredits` reads: their subscriptions and rate
 * cards, and per ledger its grants, open charges and active holds, so a repeated check runs without a round
 * trip to PostgreSQL.
 *
 * Exactness rests on the process's change counter (`ChangeClock`, in the shared module, which the kept first
 * page of history uses too) and its rule: a read is kept only if no change of its customer was signalled after
 * the read began, and is served only while none has been since; while the notification listener is down,
 * nothing is served or kept. A change is of the customer's ledgers or of their terms (`CheckChange`), and voids
 * only the parts that depend on it: a charge on a hot customer re-reads one ledger, not their subscriptions
 * and rate cards too.
 *
 * Time needs no signal: a kept read carries its rows; each check books what is due at its own instant
 * (fundings, expiries) and drops holds past their `expiresAt`. A kept read serves only checks at its read
 * instant or later (a clock moved back reads again). A check's answer is kept too (`answer`), but only with the
 * very reads it was computed from, and only for the instants before the next one any of those reads names
 * (`untilNextInstant`): a change makes new reads, so the kept answer is no longer theirs.
 */
export class CheckCache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight<unknown>>();
  private readonly features = new Map<string, FeatureEntity>();
  private readonly answers = new KeptAnswers();
  private readonly currencies = new Map<string, CurrencyEntity>();
  private readonly maxCustomers: number;
  private readonly maxAgeMs: number;
  readonly stats: CheckCacheStats = { hits: 0, misses: 0, changes: 0, refreshes: 0, answers: 0 };
  /** The process's change counter (shared with the other kept reads); its own when none is given. */
  readonly clock: ChangeClock;

  constructor(opts: CheckCacheOptions = {}, clock?: ChangeClock) {
    this.maxCustomers = opts.maxCustomers ?? 10_000;
    this.maxAgeMs = opts.maxAgeMs ?? 5_000;
    this.clock = clock ?? new ChangeClock(this.maxCustomers * 4);
    // what a change voids is dropped at once, and everything on a reset: memory, not correctness (`current`)
    this.clock.observe({
      changed: (id, what) => {
        this.stats.changes++;
        const e = this.entries.get(id);
        if (e && what === 'terms') e.customer = null;
        else if (e) e.ledgers.clear();
      },
      reset: () => this.entries.clear(),
    });
  }

  private fresh(
    what: CheckChange,
    customerId: string,
    part: Part<unknown> | null | undefined,
    asOf: number,
  ): boolean {
    return (
      !!part &&
      part.readAt <= asOf &&
      performance.now() - part.loadedAt < this.maxAgeMs &&
      this.clock.current(what, customerId, part.epoch)
    );
  }

  private entry(customerId: string, create: boolean): Entry | undefined {
    const e = this.entries.get(customerId);
    if (e) {
      // most recently used last
      this.entries.delete(customerId);
      this.entries.set(customerId, e);
      return e;
    }
    if (!create) return undefined;
    const made: Entry = { customer: null, ledgers: new Map() };
    this.entries.set(customerId, made);
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.maxCustomers) break;
      this.entries.delete(id);
    }
    return made;
  }

  /**
   * A kept part if it may serve a check of `customerId` at `asOf`; otherwise `load` reads it (one read shared
   * by the checks that need it at once, as long as no change came between) and it is kept if still current.
   * A kept part past its `refreshAt` (between half and nine tenths of `maxAgeMs`, drawn per read) is still
   * served, and read again in the background: parts read at the same time would otherwise all expire together,
   * and their checks would queue behind one wave of reads (bench/check.ts saw p99 jump from 2 to 30–60 ms every
   * few seconds with nothing changing); the drawn instant spreads their background reads too (the same bench
   * saw a 100-customer wave of them stall checks for 20–50 ms).
   */
  private async part<T>(
    customerId: string,
    what: CheckChange,
    key: string,
    asOf: Date,
    get: (e: Entry) => Part<T> | null | undefined,
    put: (e: Entry, p: Part<T>) => void,
    load: () => Promise<T>,
  ): Promise<T> {
    const at = asOf.getTime();
    if (this.clock.serving) {
      const e = this.entry(customerId, false);
      const kept = e && get(e);
      const flight = this.flights.get(key) as Flight<T> | undefined;
      if (this.fresh(what, customerId, kept, at)) {
        this.stats.hits++;
        if (!flight && performance.now() > kept!.refreshAt) {
          this.stats.refreshes++;
          this.read(customerId, what, key, at, put, load).catch(() => undefined); // a miss will tell
        }
        return kept!.value;
      }
      if (flight && flight.readAt <= at && this.clock.current(what, customerId, flight.epoch)) {
        this.stats.hits++;
        return flight.promise;
      }
    }
    this.stats.misses++;
    return this.read(customerId, what, key, at, put, load);
  }

  /** Reads a part for checks at `at` and out of one flight, and keeps it if no change came meanwhile. */
  private async read<T>(
    customerId: string,
    what: CheckChange,
    key: string,
    at: number,
    put: (e: Entry, p: Part<T>) => void,
    load: () => Promise<T>,
  ): Promise<T> {
    const epoch = this.clock.begin(); // a change signalled from now on voids this read
    const promise = load();
    const flight: Flight<T> = { epoch, readAt: at, promise };
    if (this.clock.serving) this.flights.set(key, flight);
    try {
      const value = await promise;
      if (this.clock.current(what, customerId, epoch)) {
        const loadedAt = performance.now();
        const refreshAt = loadedAt + this.maxAgeMs * (0.5 + 0.4 * Math.random());
        put(this.entry(customerId, true)!, { epoch, readAt: at, loadedAt, refreshAt, value });
      }
      return value;
    } finally {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    }
  }

  /** The customer's subscriptions and rate cards (`load` throws for an unknown customer: nothing is kept). */
  customer(customerId: string, asOf: Date, load: () => Promise<CustomerFacts>): Promise<CustomerFacts> {
    return this.part(
      customerId,
      'terms',
      `c|${customerId}`,
      asOf,
      (e) => e.customer,
      (e, p) => (e.customer = p),
      load,
    );
  }

  /** One ledger of the customer as a check reads it. */
  ledger(
    customerId: string,
    currencyId: string,
    asOf: Date,
    load: () => Promise<LedgerFacts>,
  ): Promise<LedgerFacts> {
    return this.part(
      customerId,
      'ledgers',
      `l|${customerId}|${currencyId}`,
      asOf,
      (e) => e.ledgers.get(currencyId),
      (e, p) => e.ledgers.set(currencyId, p),
      load,
    );
  }

  /**
   * The answer kept under `key` (feature and quantity) with these customer facts, if it may answer a check at
   * `asOf`: the instant lies in its span, and the feature and the ledger read a check would use now (`ledgerOf`,
   * the kept read or a new one) are those it was computed from. Null otherwise.
   */
  async answer(
    facts: CustomerFacts,
    key: string,
    asOf: Date,
    feature: FeatureEntity,
    ledgerOf: (currencyId: string) => Promise<LedgerFacts>,
  ): Promise<CreditCheckView | null> {
    const kept = this.answers.get(facts, key);
    const at = asOf.getTime();
    if (!kept || kept.feature !== feature || at < kept.from || at >= kept.until) return null;
    if ((await ledgerOf(kept.currencyId)) !== kept.ledger) return null;
    this.stats.answers++;
    return kept.view;
  }

  /** Keeps an answer computed from `facts` (kept or just read) and `kept.ledger`; an empty span is not kept. */
  keepAnswer(facts: CustomerFacts, key: string, kept: KeptAnswer): void {
    if (this.clock.serving && kept.until > kept.from) this.answers.set(facts, key, kept);
  }

  /** Features and currencies never change once created (no update exists): kept by key and id. */
  async feature(key: string, load: () => Promise<FeatureEntity | null>): Promise<FeatureEntity | null> {
    const kept = this.features.get(key);
    if (kept) return kept;
    const f = await load();
    if (f && this.features.size < this.maxCustomers) this.features.set(key, f);
    return f;
  }

  async currency(id: string, load: () => Promise<CurrencyEntity>): Promise<CurrencyEntity> {
    const kept = this.currencies.get(id);
    if (kept) return kept;
    const c = await load();
    if (this.currencies.size < this.maxCustomers) this.currencies.set(id, c);
    return c;
  }
}
