import { Migration } from '@mikro-orm/migrations';

/**
 * A read in a snapshot of its own, inside a statement (the ledger lock, docs: src/modules/ledger/README.md).
 * In READ COMMITTED a statement reads in the snapshot it took when it started, also after it waited for a row
 * lock; a VOLATILE function takes a new snapshot for each query it runs. The store's one-statement ledger lock
 * calls this for the grants once the ledger row is locked, so it sees every grant committed by the writer
 * it waited for.
 */
export class Migration20261201000030_fresh_snapshot_read extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function json_in_fresh_snapshot(query text, p1 text, p2 text) returns json
        language plpgsql volatile as $$
      declare
        result json;
      begin
        execute query into result using p1, p2;
        return result;
      end
      $$;
    `);
  }
}
