import { Migration } from '@mikro-orm/migrations';

/**
 * Credit holds (SPEC §16): an amount of one ledger reserved until it is captured, released or expires. A hold
 * books no movement; `status` stores HELD, CAPTURED or RELEASED, and a HELD hold past `expires_at` reads as
 * EXPIRED (no job has to run for it). The ledger module owns the table.
 */
export class Migration20261130000003_holds extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table credit_hold (
        id text primary key,
        ledger_id text not null references ledger (id),
        customer_id text not null references customer (id),
        currency_id text not null references currency (id),
        amount numeric not null check (amount > 0),
        captured_amount numeric not null default 0 check (captured_amount >= 0 and captured_amount <= amount),
        status text not null check (status in ('HELD', 'CAPTURED', 'RELEASED')),
        description text,
        expires_at timestamptz not null,
        created_at timestamptz not null,
        finished_at timestamptz,
        charge_id text,
        -- written in the transaction that books the movement, before the movement row itself
        movement_id text references movement (id) deferrable initially deferred,
        check ((status = 'CAPTURED') = (movement_id is not null))
      );
      -- what reserves, balances and settlement read: the active holds of a ledger
      create index credit_hold_active_idx on credit_hold (ledger_id, expires_at) include (amount) where status = 'HELD';
      create index credit_hold_customer_idx on credit_hold (customer_id, id);
    `);
  }
}
