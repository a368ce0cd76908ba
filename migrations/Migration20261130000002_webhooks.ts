import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks (SPEC §15): endpoints (soft-deleted, so their delivery log survives and a second delete is
 * NOT_FOUND), events (the outbox: written in the transaction of their cause, the body serialized once and
 * kept as text so every attempt sends the same bytes) and one delivery per (event, endpoint) with its
 * attempt state.
 */
export class Migration20261130000002_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook_endpoint (
        id text primary key,
        url text not null,
        description text,
        event_types text[] not null check (cardinality(event_types) > 0),
        enabled boolean not null default true,
        secret text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        deleted_at timestamptz
      );
      create index webhook_endpoint_live_idx on webhook_endpoint (created_at, id) where deleted_at is null;

      create table webhook_event (
        id text primary key,
        type text not null,
        customer_id text,
        occurred_at timestamptz not null,
        body text not null,
        created_at timestamptz not null default now()
      );

      create table webhook_delivery (
        id text primary key,
        endpoint_id text not null references webhook_endpoint (id),
        event_id text not null references webhook_event (id),
        status text not null default 'PENDING' check (status in ('PENDING', 'SUCCEEDED', 'FAILED')),
        attempts integer not null default 0,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz,
        last_response_status integer,
        last_error text,
        -- the schedule it was created with, kept so any replica (whatever its own settings) follows it
        max_attempts integer not null,
        retry_base_ms integer not null,
        timeout_ms integer not null,
        created_at timestamptz not null default now()
      );
      create index webhook_delivery_endpoint_idx on webhook_delivery (endpoint_id, created_at desc, id desc);
      create index webhook_delivery_event_idx on webhook_delivery (event_id);
      create index webhook_delivery_pending_idx on webhook_delivery (next_attempt_at) where status = 'PENDING';
    `);
  }
}
