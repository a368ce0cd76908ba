import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, newId } from '../../core/ids';
import { createLog, type Log } from '../../core/log';
import { enqueueJob } from '../../db/jobs';
import { memoOf } from '../shared/memo';
import { Dec, formatDecimal } from '../../money';
import type { CatalogService, CurrencyEntity } from '../catalog';
import type { CustomersService } from '../customers';
import type { LedgerService } from '../ledger';
import type { SubscriptionCreditPrice } from '../subscriptions';
import { inTransaction } from '../shared';
import { AutoTopUpEntity } from './entities';
import { decideTopUp, type LastTopUp, type TopUpDecision } from './top-up-decision';
import { retryAfterMs, validateTopUpRule, type SetAutoTopUpInput } from './top-up-rules';

export const TOP_UP_TASK = 'auto_top_up';
export const TOP_UP_SWEEP_TASK = 'auto_top_up_sweep';

/** The job key of "check this customer's rules now": one waiting check per customer, whatever the wakes. */
export const topUpJobKey = (customerId: string) => `topup:${customerId}`;

/** The price a top-up is bought at: purchaseCredits' credit price (`creditPriceFor`, SPEC §14). */
export type CreditPrice = Pick<SubscriptionCreditPrice, 'subscriptionId' | 'currency' | 'unitPrice'>;

/** Finds the credit price in force for a customer's currency at an instant; null when there is none. */
export type CreditPriceLookup = (
  customerId: string,
  currencyId: string,
  at: Date,
) => Promise<CreditPrice | null>;

export interface TopUpDeps {
  ledger: LedgerService;
  catalog: CatalogService;
  customers: CustomersService;
  creditPrice: CreditPriceLookup;
  /**
   * The reads of a check on another EntityManager: a check holding a rule's lock reads on its own
   * transaction, never on a second pooled connection (with every connection held by a check waiting for
   * another, the pool would stall until its acquire timeout).
   */
  on(em: EntityManager): Pick<TopUpDeps, 'ledger' | 'catalog' | 'creditPrice'>;
}

/** What one check of one rule did. */
export type TopUpOutcome =
  | { ruleId: string; toppedUp: true; grantId: string; amount: string }
  | { ruleId: string; toppedUp: false; reason: string };

let log: Log = createLog('warn');

/** Where checks report top-ups they could not make (a rule whose price went away); the jobs pass the app log. */
export function setTopUpLog(to: Log): void {
  log = to;
}

/**
 * Auto top-up (SPEC §14): the rules (`setAutoTopUp`, `Customer.autoTopUps`) and the check the trigger runs.
 * A check decides with `decideTopUp` on what it read, and only when that says "top up" opens a transaction:
 * it locks the rule row (`for update`), reads settled and the last top-up again, decides again, and creates
 * the grant and records it on the rule in that same transaction. Two processes checking one crossing
 * therefore make one top-up: the second waits on the lock and then sees the first one's grant (awaiting
 * payment, or settled above the threshold). Lock order: the rule row, then (in the ledger) the ledger row.
 */
/** How long this process trusts that a customer has no enabled auto top-up rule. */
const NO_RULE_MS = 1_000;

export class TopUpService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly deps: TopUpDeps,
  ) {}

  // ---- rules ------------------------------------------------------------------------------

  async set(input: SetAutoTopUpInput): Promise<AutoTopUpEntity> {
    const customer = await this.deps.customers.require(input.customerId);
    const problems = new Problems();
    const currency = (await this.deps.catalog.currenciesByCodes([input.currency])).get(input.currency);
    if (!currency) problems.add('currency', `unknown currency ${input.currency}`);
    const values = validateTopUpRule(input, currency?.scale ?? null, problems);
    problems.throwIfAny();
    const now = this.clock.now();
    if (values!.enabled && values!.fundingMethod === 'INVOICE') {
      const price = await this.deps.creditPrice(customer.id, currency!.id, now);
      if (!price)
        throw new DomainError(
          ErrorCode.INVALID_STATE,
          `An INVOICE auto top-up needs a credit price: customer ${customer.id} has no active subscription ` +
            `with a credit purchase price in ${currency!.code}`,
        );
    }
    const v = values!;
    memoOf<number>(this.em, 'no-top-up-rule').forget(customer.id);
    const id = await inTransaction(this.em, async (em) => {
      const rows = await em.execute<{ id: string }[]>(
        `insert into auto_top_up (id, customer_id, currency_id, enabled, threshold, amount, target_balance,
                                  funding_method, retry_after, created_at, updated_at)
         values (?, ?, ?, ?, ?::numeric, ?::numeric, ?::numeric, ?, ?, ?::timestamptz, ?::timestamptz)
         on conflict (customer_id, currency_id) do update set
           enabled = excluded.enabled, threshold = excluded.threshold, amount = excluded.amount,
           target_balance = excluded.target_balance, funding_method = excluded.funding_method,
           retry_after = excluded.retry_after, updated_at = excluded.updated_at
         returning id`,
        [
          newId(IdPrefix.AutoTopUp),
          customer.id,
          currency!.id,
          v.enabled,
          v.threshold,
          v.amount,
          v.targetBalance,
          v.fundingMethod,
          v.retryAfter,
          now.toISOString(),
          now.toISOString(),
        ],
      );
      // enabled while below the threshold fires too: the check runs once this commits
      if (v.enabled)
        await enqueueJob(em, TOP_UP_TASK, { customerId: customer.id }, { jobKey: topUpJobKey(customer.id) });
      return rows[0]!.id;
    });
    // and again once committed: a wake that read "no rule" while this was in flight is not trusted
    memoOf<number>(this.em, 'no-top-up-rule').forget(customer.id);
    return (await this.rulesWhere('id = ?', [id]))[0]!;
  }

  /** The rules of each customer, by currency id. */
  async byCustomerIds(ids: readonly string[]): Promise<Map<string, AutoTopUpEntity[]>> {
    const out = new Map<string, AutoTopUpEntity[]>();
    if (ids.length === 0) return out;
    for (const r of await this.rulesWhere('customer_id in (?)', [[...ids]])) {
      const list = out.get(r.customerId) ?? [];
      list.push(r);
      out.set(r.customerId, list);
    }
    return out;
  }

  private async rulesWhere(where: string, params: unknown[], em = this.em, lock = false) {
    const rows = await em.execute<Record<string, unknown>[]>(
      `select id, customer_id, currency_id, enabled, threshold::text as threshold, amount::text as amount,
              target_balance::text as target_balance, funding_method, retry_after, last_triggered_at,
              last_grant_id, created_at, updated_at
         from auto_top_up where ${where} order by customer_id, currency_id${lock ? ' for update' : ''}`,
      params,
    );
    return rows.map((r) =>
      Object.assign(new AutoTopUpEntity(), {
        id: r.id as string,
        customerId: r.customer_id as string,
        currencyId: r.currency_id as string,
        enabled: r.enabled as boolean,
        threshold: r.threshold as string,
        amount: r.amount as string | null,
        targetBalance: r.target_balance as string | null,
        fundingMethod: r.funding_method as 'INVOICE' | 'EXTERNAL',
        retryAfter: r.retry_after as string,
        lastTriggeredAt: r.last_triggered_at ? new Date(r.last_triggered_at as string) : null,
        lastGrantId: r.last_grant_id as string | null,
        createdAt: new Date(r.created_at as string),
        updatedAt: new Date(r.updated_at as string),
      }),
    );
  }

  // ---- the trigger ------------------------------------------------------------------------

  /**
   * Of these customers, those with an enabled rule: the only ones a movement needs to wake a check for. That a
   * customer has none is kept for `NO_RULE_MS` (a hot customer commits many times a second): a rule set in this
   * process forgets it at once; one set through another replica is seen within that time, and the sweep
   * (every 2 s) checks every customer with an enabled rule below its threshold whatever was kept.
   */
  async customersWithEnabledRules(ids: readonly string[]): Promise<string[]> {
    const memo = memoOf<number>(this.em, 'no-top-up-rule');
    const now = Date.now();
    const ask = ids.filter((id) => (memo.get(id) ?? 0) <= now);
    if (ask.length === 0) return [];
    const rows = await this.em.execute<{ customer_id: string }[]>(
      `select distinct customer_id from auto_top_up where enabled and customer_id in (?)`,
      [[...ask]],
    );
    const found = rows.map((r) => r.customer_id);
    const withRule = new Set(found);
    for (const id of ask) if (!withRule.has(id)) memo.remember(this.em, id, now + NO_RULE_MS);
    return found;
  }

  /**
   * The sweep's safety net (a wake lost to a crash between commit and enqueue, a retry wait that ended):
   * customers with an enabled rule whose booked balance is below its threshold and whose last top-up does
   * not await payment. A read of the ledger's tables; the check itself decides on the balance as of now.
   */
  async customersToCheck(limit = 1000): Promise<string[]> {
    const rows = await this.em.execute<{ customer_id: string }[]>(
      `select distinct r.customer_id
         from auto_top_up r
         left join ledger l on l.customer_id = r.customer_id and l.currency_id = r.currency_id
         left join credit_grant g on g.id = r.last_grant_id
        where r.enabled and coalesce(l.balance, 0) < r.threshold
          and (g.id is null or g.payment_status in ('SETTLED', 'FAILED') or g.voided_at is not null)
        limit ?`,
      [limit],
    );
    return rows.map((r) => r.customer_id);
  }

  /** Checks every enabled rule of a customer (the job's work). */
  async checkCustomer(customerId: string): Promise<TopUpOutcome[]> {
    const out: TopUpOutcome[] = [];
    for (const rule of await this.rulesWhere('customer_id = ? and enabled', [customerId])) {
      try {
        out.push(await this.checkRule(rule));
      } catch (e) {
        // a rule the ledger refuses (e.g. a price that makes an invoice of 0.00) must not stop the others
        if (!(e instanceof DomainError)) throw e;
        log('warn', 'auto top-up refused', { rule: rule.id, code: e.code, message: e.message });
        out.push({ ruleId: rule.id, toppedUp: false, reason: e.code });
      }
    }
    return out;
  }

  private async evaluate(
    rule: AutoTopUpEntity,
    now: Date,
    ledger: LedgerService = this.deps.ledger,
  ): Promise<TopUpDecision> {
    const balance = (await ledger.balances(rule.customerId)).find((b) => b.currency.id === rule.currencyId);
    const settled = new Dec(balance?.settled ?? 0);
    let last: LastTopUp | null = null;
    if (rule.lastGrantId) {
      const g = (await ledger.grantsByIds([rule.lastGrantId])).get(rule.lastGrantId);
      if (g) last = { paymentStatus: g.paymentStatus ?? null, voidedAt: g.voidedAt, createdAt: g.createdAt };
    }
    const failedAt = last?.voidedAt ?? last?.createdAt ?? now;
    return decideTopUp({
      rule: {
        enabled: rule.enabled,
        threshold: new Dec(rule.threshold),
        amount: rule.amount === null ? null : new Dec(rule.amount),
        targetBalance: rule.targetBalance === null ? null : new Dec(rule.targetBalance),
        retryAfterMs: retryAfterMs(rule.retryAfter, failedAt),
      },
      settled,
      last,
      now,
    });
  }

  private async checkRule(rule: AutoTopUpEntity): Promise<TopUpOutcome> {
    const first = await this.evaluate(rule, this.clock.now());
    if (!first.topUp) return this.notNow(rule, first);
    return inTransaction(this.em, async (em) => {
      const locked = (await this.rulesWhere('id = ?', [rule.id], em, true))[0];
      if (!locked) return { ruleId: rule.id, toppedUp: false, reason: 'GONE' };
      const now = this.clock.now();
      const reads = this.deps.on(em);
      // settled and the last top-up again, now that no other check of this rule can run
      const d = await this.evaluate(locked, now, reads.ledger);
      if (!d.topUp) return this.notNow(locked, d, em);
      const currency = (await reads.catalog.currenciesByIds([locked.currencyId])).get(locked.currencyId)!;
      const price = await reads.creditPrice(locked.customerId, locked.currencyId, now);
      if (locked.fundingMethod === 'INVOICE' && !price) {
        log('warn', 'auto top-up skipped: no credit price in force', { rule: locked.id });
        return { ruleId: locked.id, toppedUp: false, reason: 'NO_CREDIT_PRICE' };
      }
      const amount = formatDecimal(d.amount, currency.scale);
      const grantId = await this.grant(em, locked, currency, amount, price);
      await em.execute(
        `update auto_top_up set last_triggered_at = ?::timestamptz, last_grant_id = ? where id = ?`,
        [now.toISOString(), grantId, locked.id],
      );
      return { ruleId: locked.id, toppedUp: true, grantId, amount };
    });
  }

  private async grant(
    em: EntityManager,
    rule: AutoTopUpEntity,
    currency: CurrencyEntity,
    amount: string,
    price: CreditPrice | null,
  ): Promise<string> {
    return this.deps.ledger.createGrantId(
      {
        customerId: rule.customerId,
        currency: currency.code,
        amount,
        fundingMethod: rule.fundingMethod,
        name: 'Auto top-up',
        purchase: price ? { currency: price.currency, perUnitCost: price.unitPrice } : null,
        origin: 'AUTO_TOP_UP',
        subscriptionId: price?.subscriptionId ?? null,
        autoTopUpRuleId: rule.id,
      },
      { em, scope: 'autoTopUp' },
    );
  }

  private async notNow(
    rule: AutoTopUpEntity,
    d: TopUpDecision & { topUp: false },
    em: EntityManager = this.em,
  ): Promise<TopUpOutcome> {
    if (d.reason === 'RETRY_WAIT') {
      // the next check once the wait is over; its own key, so it never delays a check a movement asked for
      await enqueueJob(
        em,
        TOP_UP_TASK,
        { customerId: rule.customerId },
        { runAt: d.retryAt, jobKey: `topup-retry:${rule.id}` },
      );
    }
    return { ruleId: rule.id, toppedUp: false, reason: d.reason };
  }
}
