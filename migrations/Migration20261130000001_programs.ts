import { Migration } from '@mikro-orm/migrations';

/**
 * Credit programs (SPEC §14): where each grant came from (`origin`, exposed as `CreditGrant.source`; the older
 * `source` column keeps telling grants from adjustments), the subscription that caused it, rollover links,
 * the once-per-period allocation key; plan allocations and purchase rules; the subscription's credit price
 * override; auto top-up rules.
 */
export class Migration20261130000001_programs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table credit_grant
        add column origin text not null default 'MANUAL'
          check (origin in ('MANUAL', 'ALLOCATION', 'INCLUDED', 'PURCHASE', 'AUTO_TOP_UP', 'ROLLOVER')),
        add column subscription_id text references subscription (id),
        add column rolled_from_id text references credit_grant (id),
        add column allocation_key text,
        add column auto_top_up_rule_id text;
      -- updateCreditGrantExpiry expires a grant now even before it became effective: its expiry is then booked
      alter table credit_grant
        drop constraint credit_grant_check1,
        add constraint credit_grant_expiry_check
          check (expires_at is null or expires_at > effective_at or expired_at is not null);
      -- a grant rolls over at most once
      create unique index credit_grant_rolled_from_idx on credit_grant (rolled_from_id) where rolled_from_id is not null;
      -- one allocation grant per (subscription, allocation, period)
      create unique index credit_grant_allocation_key_idx on credit_grant (allocation_key) where allocation_key is not null;
      create index credit_grant_subscription_idx on credit_grant (subscription_id) where subscription_id is not null;
      create index credit_grant_auto_top_up_idx on credit_grant (auto_top_up_rule_id, id) where auto_top_up_rule_id is not null;

      create table plan_credit_allocation (
        id text primary key,
        plan_id text not null references plan (id),
        position integer not null,
        amount numeric not null check (amount > 0),
        cadence text not null,
        cadence_given boolean not null default false,
        priority integer not null default 10,
        expires_after text,
        rollover_cap numeric check (rollover_cap >= 0),
        unique (plan_id, position)
      );

      alter table plan
        add column credit_purchase_currency text,
        add column credit_unit_price numeric check (credit_unit_price > 0),
        add column credit_min_amount numeric check (credit_min_amount > 0),
        add column credit_max_amount numeric check (credit_max_amount > 0);

      alter table subscription
        add column credit_unit_price numeric check (credit_unit_price > 0);

      create table auto_top_up (
        id text primary key,
        customer_id text not null references customer (id),
        currency_id text not null references currency (id),
        enabled boolean not null,
        threshold numeric not null,
        amount numeric check (amount > 0),
        target_balance numeric,
        funding_method text not null check (funding_method in ('INVOICE', 'EXTERNAL')),
        retry_after text not null default 'PT1H',
        last_triggered_at timestamptz,
        last_grant_id text references credit_grant (id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (customer_id, currency_id)
      );
    `);
  }
}
