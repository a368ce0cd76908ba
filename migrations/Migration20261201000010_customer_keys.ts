import { Migration } from '@mikro-orm/migrations';

/**
 * Every customer-owned table keyed by its customer, so that the schema can be distributed by customer id
 * (Citus, docs/scaling.md) and test/integration/citus-shape.test.ts holds it so:
 *
 * - `customer_id` where a table only hung off a parent: allocations (of a movement), webhook deliveries (of an
 *   event), idempotency keys (whose scope already named the customer). Backfilled from the parent. Webhook
 *   events always had one in practice; now it is required.
 * - The customer id in a key of every such table. Where a `(customer_id, id)` index already served the
 *   customer's pages, it becomes that unique key; elsewhere the primary key takes the customer id after `id`,
 *   so lookups by id still use it and no insert maintains one index more.
 * - Every foreign key between two customer-owned tables carries the customer id on both sides, so a row can
 *   only point at a row of its own customer (and, distributed, at a row of its own shard).
 */
export class Migration20261201000010_customer_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table allocation add column customer_id text;
      alter table allocation disable trigger allocation_append_only;
      update allocation a set customer_id = m.customer_id from movement m where m.id = a.movement_id;
      alter table allocation enable trigger allocation_append_only;
      alter table allocation alter column customer_id set not null;

      update webhook_event set customer_id = body::json -> 'data' ->> 'customerId' where customer_id is null;
      alter table webhook_event alter column customer_id set not null;
      alter table webhook_delivery add column customer_id text;
      update webhook_delivery d set customer_id = e.customer_id from webhook_event e where e.id = d.event_id;
      alter table webhook_delivery alter column customer_id set not null;

      -- scopes read '<use case>:<customer id>'
      alter table idempotency_key add column customer_id text;
      update idempotency_key set customer_id = substr(scope, strpos(scope, ':') + 1);
      alter table idempotency_key alter column customer_id set not null;

      alter table credit_grant
        drop constraint credit_grant_ledger_id_fkey,
        drop constraint credit_grant_invoice_id_fkey,
        drop constraint credit_grant_subscription_id_fkey,
        drop constraint credit_grant_rolled_from_id_fkey;
      alter table movement
        drop constraint movement_ledger_id_fkey,
        drop constraint movement_grant_id_fkey,
        drop constraint movement_corrects_id_fkey,
        drop constraint movement_charge_fk;
      alter table allocation
        drop constraint allocation_movement_id_fkey,
        drop constraint allocation_grant_id_fkey;
      alter table usage_event drop constraint usage_event_subscription_id_fkey;
      alter table charge
        drop constraint charge_subscription_id_fkey,
        drop constraint charge_invoice_id_fkey;
      alter table auto_top_up drop constraint auto_top_up_last_grant_id_fkey;
      alter table webhook_delivery drop constraint webhook_delivery_event_id_fkey;
      alter table credit_hold
        drop constraint credit_hold_ledger_id_fkey,
        drop constraint credit_hold_movement_id_fkey;

      alter table ledger drop constraint ledger_pkey, add primary key (id, customer_id);
      alter table subscription drop constraint subscription_pkey, add primary key (id, customer_id);
      alter table movement drop constraint movement_pkey, add primary key (id, customer_id);
      alter table allocation drop constraint allocation_pkey, add primary key (movement_id, position, customer_id);
      alter table usage_event drop constraint usage_event_pkey, add primary key (id, customer_id);
      alter table outbox drop constraint outbox_pkey, add primary key (id, customer_id);
      alter table webhook_event drop constraint webhook_event_pkey, add primary key (id, customer_id);
      alter table webhook_delivery drop constraint webhook_delivery_pkey, add primary key (id, customer_id);
      alter table idempotency_key drop constraint idempotency_key_pkey, add primary key (scope, key, customer_id);

      drop index credit_grant_customer_idx;
      alter table credit_grant add constraint credit_grant_customer_id_id_key unique (customer_id, id);
      drop index invoice_customer_idx;
      alter table invoice add constraint invoice_customer_id_id_key unique (customer_id, id);
      drop index charge_customer_idx;
      alter table charge add constraint charge_customer_id_id_key unique (customer_id, id);
      drop index credit_hold_customer_idx;
      alter table credit_hold add constraint credit_hold_customer_id_id_key unique (customer_id, id);

      alter table credit_grant
        add constraint credit_grant_ledger_fk foreign key (customer_id, ledger_id) references ledger (customer_id, id),
        add constraint credit_grant_invoice_fk foreign key (customer_id, invoice_id) references invoice (customer_id, id),
        add constraint credit_grant_subscription_fk
          foreign key (customer_id, subscription_id) references subscription (customer_id, id),
        add constraint credit_grant_rolled_from_fk
          foreign key (customer_id, rolled_from_id) references credit_grant (customer_id, id);
      alter table movement
        add constraint movement_ledger_fk foreign key (customer_id, ledger_id) references ledger (customer_id, id),
        add constraint movement_grant_fk foreign key (customer_id, grant_id) references credit_grant (customer_id, id),
        add constraint movement_corrects_fk foreign key (customer_id, corrects_id) references movement (customer_id, id),
        add constraint movement_charge_fk foreign key (customer_id, charge_id) references charge (customer_id, id);
      alter table allocation
        add constraint allocation_movement_fk foreign key (customer_id, movement_id) references movement (customer_id, id),
        add constraint allocation_grant_fk foreign key (customer_id, grant_id) references credit_grant (customer_id, id);
      alter table usage_event
        add constraint usage_event_subscription_fk
          foreign key (customer_id, subscription_id) references subscription (customer_id, id);
      alter table charge
        add constraint charge_subscription_fk foreign key (customer_id, subscription_id) references subscription (customer_id, id),
        add constraint charge_invoice_fk foreign key (customer_id, invoice_id) references invoice (customer_id, id);
      alter table auto_top_up
        add constraint auto_top_up_last_grant_fk
          foreign key (customer_id, last_grant_id) references credit_grant (customer_id, id);
      alter table webhook_delivery
        add constraint webhook_delivery_event_fk foreign key (customer_id, event_id) references webhook_event (customer_id, id);
      alter table credit_hold
        add constraint credit_hold_ledger_fk foreign key (customer_id, ledger_id) references ledger (customer_id, id),
        -- written in the transaction that books the movement, before the movement row itself
        add constraint credit_hold_movement_fk foreign key (customer_id, movement_id) references movement (customer_id, id)
          deferrable initially deferred;
    `);
  }
}
