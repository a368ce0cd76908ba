import { Migration } from '@mikro-orm/migrations';

/** Usage events (idempotent by id), charges (one OPEN charge per subscription, rate card and period). */
export class Migration20261121000003_usage extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table usage_event (
        id text primary key,
        content_hash text not null,
        customer_id text not null references customer (id),
        subscription_id text not null references subscription (id),
        subject text not null,
        type text not null,
        value numeric not null,
        ts timestamptz not null,
        data jsonb,
        received_at timestamptz not null default now()
      );
      create index usage_event_customer_idx on usage_event (customer_id, ts);

      create table charge (
        id text primary key,
        customer_id text not null references customer (id),
        currency_id text not null references currency (id),
        kind text not null check (kind in ('USAGE', 'ONE_OFF')),
        subscription_id text references subscription (id),
        rate_card_id text references rate_card (id),
        feature_id text references feature (id),
        feature_key text,
        aggregation text check (aggregation in ('SUM', 'COUNT', 'MAX')),
        description text,
        status text not null check (status in ('OPEN', 'SETTLED')),
        settlement_mode text not null check (settlement_mode in ('CREDIT_ONLY', 'CREDIT_THEN_INVOICE')),
        fiat_code text,
        fiat_value numeric,
        quantity numeric,
        amount numeric not null check (amount >= 0),
        booked numeric not null default 0 check (booked >= 0),
        credited_amount numeric not null default 0,
        invoiced_amount numeric not null default 0 check (invoiced_amount >= 0),
        period_start timestamptz,
        period_end timestamptz,
        invoice_id text references invoice (id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        check (booked = credited_amount + invoiced_amount),
        check (kind = 'ONE_OFF' or (subscription_id is not null and rate_card_id is not null and period_start is not null))
      );
      create unique index charge_usage_key on charge (subscription_id, rate_card_id, period_start) where kind = 'USAGE';
      create index charge_customer_idx on charge (customer_id, id);
      -- what settlement looks for: open charges (small, hot)
      create index charge_open_idx on charge (currency_id, customer_id) where status = 'OPEN';
      create index charge_period_end_idx on charge (period_end) where status = 'OPEN';

      alter table movement add column details jsonb;
      alter table movement add constraint movement_charge_fk foreign key (charge_id) references charge (id);
      create index movement_corrects_idx on movement (corrects_id) where corrects_id is not null;

      alter table invoice add column line_keys jsonb not null default '{}';
      create unique index invoice_usage_draft_key on invoice (subscription_id, period_start, currency)
        where kind = 'USAGE' and status = 'DRAFT';
    `);
  }
}
