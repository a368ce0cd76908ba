import 'reflect-metadata';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate, openOrm, type Orm } from '../../src/db/orm';
import { allEntities } from '../../src/modules';

/**
 * The schema can be distributed by customer (Citus, docs/scaling.md), read from PostgreSQL's catalogs after
 * every migration. The rule: every table of the application's schema is customer-owned, except the reference
 * tables and the infrastructure tables named below (the job runner lives in its own `graphile_worker` schema
 * and is out). A customer-owned table carries its customer's id (the distribution column: `customer_id`, or
 * `id` for `customer` itself), not null, in its primary key or a unique key; every foreign key between two
 * customer-owned tables joins on it; no reference table points at a customer-owned one, so each reference
 * table can be copied to every node whole.
 */

/** Reference tables (replicated to every node whole), each with why it belongs to no single customer. */
const REFERENCE: Record<string, string> = {
  currency: 'the catalog: every customer’s ledgers, grants and charges read it',
  feature: 'the catalog: metered features shared by all plans',
  plan: 'the catalog: one price list for every customer',
  rate_card: 'the catalog: a plan’s prices',
  plan_credit_allocation: 'the catalog: a plan’s recurring allocations',
  webhook_endpoint: 'the vendor’s own endpoints: each receives every customer’s events',
  app_setting: 'instance settings (the token signing secret): read by every API process',
  customer_subject:
    'the routing table: maps a usage subject to its customer before the customer (and so its shard) is known',
};

/** Infrastructure: not application data at all. */
const INFRASTRUCTURE: Record<string, string> = {
  mikro_orm_migrations: 'which migrations ran',
  webhook_runner: 'the delivery runners alive (a heartbeat per process): read by the cross-customer sweep',
};

/**
 * Foreign keys from a reference table to a customer-owned one. Citus refuses them; on one machine they keep
 * their check, and the conversion drops them (docs/scaling.md says who keeps the rule then).
 */
const REFERENCE_TO_OWNED: Record<string, string> = {
  'customer_subject.customer_id':
    'a subject names an existing customer; the customers module writes both in one transaction',
};

/**
 * Unique indexes of customer-owned tables without the customer id. Citus enforces uniqueness only within a
 * shard, so each is changed at conversion (docs/scaling.md says how); a new one must be added here, with its
 * plan, or carry the customer id.
 */
const UNIQUE_WITHOUT_CUSTOMER: Record<string, string> = {
  customer_key_key: 'kept unique by customer_subject (every customer key is one of its subjects)',
  invoice_number_key: 'numbers come from one sequence',
  credit_grant_pkey: 'becomes (id, customer_id); ids are random',
  invoice_pkey: 'becomes (id, customer_id); ids are random',
  charge_pkey: 'becomes (id, customer_id); ids are random',
  credit_hold_pkey: 'becomes (id, customer_id); ids are random',
  auto_top_up_pkey: 'becomes (id, customer_id); ids are random',
  movement_ledger_id_sequence_key: 'a ledger is one customer’s: gains customer_id',
  charge_usage_key: 'a subscription is one customer’s: gains customer_id',
  invoice_usage_draft_key: 'a subscription is one customer’s: gains customer_id',
  credit_grant_rolled_from_idx: 'a grant is one customer’s: gains customer_id',
  credit_grant_allocation_key_idx: 'the key names a subscription of one customer: gains customer_id',
};

const distributionColumn = (table: string) => (table === 'customer' ? 'id' : 'customer_id');

interface Key {
  table: string;
  name: string;
  type: 'p' | 'u' | 'f';
  columns: string[];
  refTable: string | null;
  refColumns: string[];
}

let orm: Orm;
let em: EntityManager;
let tables: string[];
let columns: { table: string; column: string; notNull: boolean }[];
let keys: Key[];
let uniqueIndexes: { table: string; name: string; columns: string[] }[];

beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), allEntities, 2);
  await migrate(orm);
  em = orm.em.fork();
  tables = (
    await em.execute<{ table_name: string }[]>(
      `select table_name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
    )
  ).map((r) => r.table_name);
  columns = (
    await em.execute<{ table_name: string; column_name: string; is_nullable: string }[]>(
      `select table_name, column_name, is_nullable from information_schema.columns
        where table_schema = current_schema()`,
    )
  ).map((r) => ({ table: r.table_name, column: r.column_name, notNull: r.is_nullable === 'NO' }));
  keys = (
    await em.execute<
      {
        tbl: string;
        conname: string;
        contype: Key['type'];
        cols: string[];
        ref: string | null;
        refcols: string[];
      }[]
    >(
      `select c.conrelid::regclass::text as tbl, c.conname, c.contype,
              array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
                      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as cols,
              case when c.contype = 'f' then c.confrelid::regclass::text end as ref,
              array(select a.attname::text from unnest(coalesce(c.confkey, '{}')) with ordinality k(n, i)
                      join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as refcols
         from pg_constraint c
        where c.connamespace = current_schema()::regnamespace and c.contype in ('p', 'u', 'f')`,
    )
  ).map((r) => ({
    table: r.tbl,
    name: r.conname,
    type: r.contype,
    columns: r.cols,
    refTable: r.ref,
    refColumns: r.refcols,
  }));
  uniqueIndexes = (
    await em.execute<{ tbl: string; name: string; cols: string[] }[]>(
      `select i.indrelid::regclass::text as tbl, i.indexrelid::regclass::text as name,
              array(select a.attname::text from unnest(i.indkey) k(n)
                      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n) as cols
         from pg_index i join pg_class c on c.oid = i.indrelid
        where i.indisunique and c.relnamespace = current_schema()::regnamespace`,
    )
  ).map((r) => ({ table: r.tbl, name: r.name, columns: r.cols }));
});

afterAll(async () => {
  await orm.close(true);
});

const owned = () => tables.filter((t) => !(t in REFERENCE) && !(t in INFRASTRUCTURE));
const isOwned = (t: string) => owned().includes(t);

describe('the schema can be distributed by customer id', () => {
  it('names only tables that exist, and leaves the ledger’s tables customer-owned', () => {
    for (const t of [...Object.keys(REFERENCE), ...Object.keys(INFRASTRUCTURE)]) {
      expect(tables, `${t} is named in the test but no longer exists`).toContain(t);
    }
    expect(owned()).toEqual(
      expect.arrayContaining(['customer', 'ledger', 'credit_grant', 'movement', 'allocation', 'charge']),
    );
  });

  it('every customer-owned table carries its customer id, not null', () => {
    const missing = owned().filter(
      (t) => !columns.some((c) => c.table === t && c.column === distributionColumn(t) && c.notNull),
    );
    expect(missing, 'customer-owned tables without a not-null customer_id').toEqual([]);
  });

  it('every customer-owned table has the customer id in its primary key or a unique key', () => {
    const unkeyed = owned().filter(
      (t) =>
        !keys.some(
          (k) =>
            k.table === t && (k.type === 'p' || k.type === 'u') && k.columns.includes(distributionColumn(t)),
        ),
    );
    expect(unkeyed, 'customer-owned tables with no key that includes customer_id').toEqual([]);
  });

  it('every foreign key between two customer-owned tables joins on the customer id', () => {
    const between = keys.filter((k) => k.type === 'f' && isOwned(k.table) && isOwned(k.refTable!));
    expect(between.length).toBeGreaterThan(10);
    const wrong = between
      .filter((k) => {
        const at = k.columns.indexOf(distributionColumn(k.table));
        return at < 0 || k.refColumns[at] !== distributionColumn(k.refTable!);
      })
      .map(
        (k) => `${k.table}.${k.name}: (${k.columns.join(', ')}) → ${k.refTable} (${k.refColumns.join(', ')})`,
      );
    expect(wrong, 'foreign keys between customer-owned tables without customer_id on both sides').toEqual([]);
  });

  it('every unique index of a customer-owned table has the customer id, except the named ones', () => {
    const without = uniqueIndexes
      .filter((i) => isOwned(i.table) && !i.columns.includes(distributionColumn(i.table)))
      .map((i) => i.name);
    expect(without.sort()).toEqual(Object.keys(UNIQUE_WITHOUT_CUSTOMER).sort());
  });

  it('no reference table points at a customer-owned table, except the named ones', () => {
    const pointing = keys
      .filter((k) => k.type === 'f' && !isOwned(k.table) && k.refTable !== null && isOwned(k.refTable))
      .map((k) => `${k.table}.${k.columns.join(',')}`);
    expect(pointing.sort()).toEqual(Object.keys(REFERENCE_TO_OWNED).sort());
  });
});
