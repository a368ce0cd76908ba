import { Migration } from '@mikro-orm/migrations';

/**
 * The delivery runners alive and what they hold (SPEC §15, "never lost"): a runner takes a batch job, hands
 * its attempts to memory and completes the job, so a delivery waiting its turn there has no job of its own.
 * Each runner writes a heartbeat every few seconds with the earliest `next_attempt_at` among the attempts it
 * holds; the stalled-delivery sweep leaves alone what a live runner may hold and re-enqueues the rest.
 */
export class Migration20261201000020_webhook_runners extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook_runner (
        id text primary key,
        seen_at timestamptz not null,
        oldest_held_due timestamptz
      );
    `);
  }
}
