import { Migration } from '@mikro-orm/migrations';

/** Catalog, customers, subscriptions and the instance settings (token signing secret). */
export class Migration20261121000001_foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table app_setting (
        key text primary key,
        value text not null,
        created_at timestamptz not null default now()
      );

      create table currency (
        id text primary key,
        code text not null unique check (code ~ '^[A-Z][A-Z0-9_]{1,15}$'),
        name text not null,
        scale smallint not null check (scale between 0 and 18),
        custom boolean not null,
        fiat_code text,
        fiat_value numeric,
        created_at timestamptz not null default now(),
        check ((fiat_code is null) = (fiat_value is null)),
        check (fiat_value is null or fiat_value > 0)
      );

      create table feature (
        id text primary key,
        key text not null unique,
        name text not null,
        unit text,
        event_type text not null,
        aggregation text not null check (aggregation in ('SUM', 'COUNT', 'MAX')),
        created_at timestamptz not null default now()
      );
      create index feature_event_type_idx on feature (event_type);

      create table plan (
        id text primary key,
        key text not null,
        version integer not null check (version >= 1),
        name text not null,
        status text not null check (status in ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
        currency_id text not null references currency (id),
        settlement_mode text not null check (settlement_mode in ('CREDIT_ONLY', 'CREDIT_THEN_INVOICE')),
        billing_cadence text not null,
        created_at timestamptz not null default now(),
        published_at timestamptz,
        archived_at timestamptz,
        unique (key, version)
      );
      -- at most one draft per plan key
      create unique index plan_one_draft_idx on plan (key) where status = 'DRAFT';

      create table rate_card (
        id text primary key,
        plan_id text not null references plan (id),
        feature_id text not null references feature (id),
        position integer not null,
        price jsonb not null,
        settlement_mode text check (settlement_mode in ('CREDIT_ONLY', 'CREDIT_THEN_INVOICE')),
        unique (plan_id, feature_id)
      );

      create table customer (
        id text primary key,
        key text not null unique,
        name text not null,
        email text,
        metadata jsonb,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index customer_search_idx on customer (lower(name) text_pattern_ops);

      -- every usage subject belongs to at most one customer; a customer's key is always one of its subjects
      create table customer_subject (
        subject_key text primary key,
        customer_id text not null references customer (id)
      );
      create index customer_subject_customer_idx on customer_subject (customer_id);

      create table subscription (
        id text primary key,
        customer_id text not null references customer (id),
        plan_id text not null references plan (id),
        plan_key text not null,
        active_from timestamptz not null,
        active_to timestamptz,
        canceled_at timestamptz,
        settlement_mode text check (settlement_mode in ('CREDIT_ONLY', 'CREDIT_THEN_INVOICE')),
        created_at timestamptz not null default now(),
        check (active_to is null or active_to >= active_from)
      );
      create index subscription_customer_idx on subscription (customer_id, plan_key, active_from);
    `);
  }
}
