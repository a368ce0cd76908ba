import { Migration } from '@mikro-orm/migrations';

/**
 * The credit ledger: one ledger per (customer, currency), grants, append-only movements with their
 * allocations, credit-purchase invoices and idempotency keys. Invariants that SQL can hold are constraints
 * here; movements and allocations refuse UPDATE and DELETE.
 */
export class Migration20261121000002_ledger extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table ledger (
        id text primary key,
        customer_id text not null references customer (id),
        currency_id text not null references currency (id),
        balance numeric not null default 0,
        debt numeric not null default 0 check (debt >= 0),
        last_sequence integer not null default 0 check (last_sequence >= 0),
        created_at timestamptz not null default now(),
        unique (customer_id, currency_id)
      );

      create table invoice (
        id text primary key,
        number text not null unique,
        customer_id text not null references customer (id),
        currency text not null,
        kind text not null check (kind in ('CREDIT_PURCHASE', 'USAGE')),
        status text not null check (status in ('DRAFT', 'ISSUED', 'PAID', 'VOID')),
        payment_status text not null check (payment_status in ('PENDING', 'AUTHORIZED', 'SETTLED', 'FAILED')),
        total numeric not null check (total >= 0),
        lines jsonb not null default '[]',
        period_start timestamptz,
        period_end timestamptz,
        subscription_id text,
        issued_at timestamptz,
        created_at timestamptz not null default now()
      );
      create index invoice_customer_idx on invoice (customer_id, id);
      create sequence invoice_number_seq;

      create table credit_grant (
        id text primary key,
        ledger_id text not null references ledger (id),
        customer_id text not null references customer (id),
        currency_id text not null references currency (id),
        name text,
        source text not null check (source in ('GRANT', 'ADJUSTMENT')),
        funding_method text not null check (funding_method in ('PROMOTIONAL', 'INVOICE', 'EXTERNAL')),
        amount numeric not null check (amount > 0),
        remaining numeric not null check (remaining >= 0 and remaining <= amount),
        priority integer not null check (priority between 1 and 1000),
        effective_at timestamptz not null,
        expires_at timestamptz,
        per_unit_cost numeric not null default 0 check (per_unit_cost >= 0),
        purchase_currency text,
        purchase_total numeric,
        payment_status text check (payment_status in ('PENDING', 'AUTHORIZED', 'SETTLED', 'FAILED')),
        invoice_id text references invoice (id),
        feature_keys text[],
        funded_at timestamptz,
        voided_at timestamptz,
        expired_at timestamptz,
        void_reason text,
        created_at timestamptz not null default now(),
        check (expires_at is null or expires_at > effective_at)
      );
      create index credit_grant_ledger_idx on credit_grant (ledger_id);
      create index credit_grant_customer_idx on credit_grant (customer_id, id);
      -- what the due-work sweep looks for: grants to fund or to expire
      create index credit_grant_due_fund_idx on credit_grant (effective_at)
        where funded_at is null and voided_at is null;
      create index credit_grant_due_expire_idx on credit_grant (expires_at)
        where expires_at is not null and expired_at is null and voided_at is null and funded_at is not null;

      create table movement (
        id text primary key,
        -- customer-wide booking order for history across currencies; within one ledger it follows sequence
        -- because writers of a ledger are serialized by its row lock
        gseq bigint generated always as identity,
        ledger_id text not null references ledger (id),
        customer_id text not null references customer (id),
        currency_id text not null references currency (id),
        sequence integer not null check (sequence >= 1),
        type text not null check (type in ('FUNDED', 'CONSUMED', 'EXPIRED', 'VOIDED', 'ADJUSTED', 'CORRECTED')),
        amount numeric not null,
        balance_before numeric not null,
        balance_after numeric not null,
        booked_at timestamptz not null,
        grant_id text references credit_grant (id),
        charge_id text,
        corrects_id text references movement (id),
        description text,
        created_at timestamptz not null default now(),
        unique (ledger_id, sequence),
        check (balance_after = balance_before + amount),
        check (case type
                 when 'FUNDED' then amount > 0
                 when 'CORRECTED' then amount > 0
                 when 'CONSUMED' then amount <= 0
                 when 'EXPIRED' then amount < 0
                 when 'VOIDED' then amount < 0
                 else amount <> 0 end)
      );
      create index movement_customer_idx on movement (customer_id, gseq);
      create index movement_ledger_gseq_idx on movement (ledger_id, gseq);
      create index movement_grant_idx on movement (grant_id) where grant_id is not null;

      create table allocation (
        movement_id text not null references movement (id),
        position smallint not null,
        grant_id text references credit_grant (id),
        amount numeric not null check (amount <> 0),
        primary key (movement_id, position)
      );
      create index allocation_grant_idx on allocation (grant_id) where grant_id is not null;

      create function forbid_change() returns trigger language plpgsql as $$
      begin
        raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'restrict_violation';
      end $$;
      create trigger movement_append_only before update or delete on movement
        for each row execute function forbid_change();
      create trigger allocation_append_only before update or delete on allocation
        for each row execute function forbid_change();
      create trigger movement_no_truncate before truncate on movement
        for each statement execute function forbid_change();

      create table idempotency_key (
        scope text not null,
        key text not null,
        request_hash text not null,
        result_id text,
        created_at timestamptz not null default now(),
        primary key (scope, key)
      );
    `);
  }
}
