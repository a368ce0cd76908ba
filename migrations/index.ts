import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000001_foundation } from './Migration20261121000001_foundation';
import { Migration20261121000002_ledger } from './Migration20261121000002_ledger';
import { Migration20261121000003_usage } from './Migration20261121000003_usage';
import { Migration20261121000004_live } from './Migration20261121000004_live';
import { Migration20261130000001_programs } from './Migration20261130000001_programs';
import { Migration20261130000002_webhooks } from './Migration20261130000002_webhooks';
import { Migration20261130000003_holds } from './Migration20261130000003_holds';
import { Migration20261201000010_customer_keys } from './Migration20261201000010_customer_keys';
import { Migration20261201000020_webhook_runners } from './Migration20261201000020_webhook_runners';
import { Migration20261201000030_fresh_snapshot_read } from './Migration20261201000030_fresh_snapshot_read';
import { Migration20261201000040_ingest_write_costs } from './Migration20261201000040_ingest_write_costs';
import { Migration20261201000050_live_grants_function } from './Migration20261201000050_live_grants_function';

/** Every migration, in order. Listed explicitly so the same list runs from source and from dist/. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261121000001_foundation', class: Migration20261121000001_foundation },
  { name: 'Migration20261121000002_ledger', class: Migration20261121000002_ledger },
  { name: 'Migration20261121000003_usage', class: Migration20261121000003_usage },
  { name: 'Migration20261121000004_live', class: Migration20261121000004_live },
  { name: 'Migration20261130000001_programs', class: Migration20261130000001_programs },
  { name: 'Migration20261130000002_webhooks', class: Migration20261130000002_webhooks },
  { name: 'Migration20261130000003_holds', class: Migration20261130000003_holds },
  { name: 'Migration20261201000010_customer_keys', class: Migration20261201000010_customer_keys },
  { name: 'Migration20261201000020_webhook_runners', class: Migration20261201000020_webhook_runners },
  { name: 'Migration20261201000030_fresh_snapshot_read', class: Migration20261201000030_fresh_snapshot_read },
  { name: 'Migration20261201000040_ingest_write_costs', class: Migration20261201000040_ingest_write_costs },
  {
    name: 'Migration20261201000050_live_grants_function',
    class: Migration20261201000050_live_grants_function,
  },
];
