import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../core/clock';
import { DomainError } from '../../core/errors';
import { IdPrefix, isIdOf } from '../../core/ids';
import { Dec, ZERO, formatDecimal, roundToScale } from '../../money';
import { pendingBalance, type SettlementMode } from '../../engine';
import { currenciesOfIds, currencyOfCode, type CurrencyEntity } from '../catalog';
import {
  selectBalanceFacts,
  selectMovementsWithFacts,
  selectMovementsWithFactsOfMany,
  type BalanceFacts,
  type MovementCursor,
} from './balance-sql';
import type { CursorCodec } from '../shared/cursor';
import { finishPage, keysetRequest, type Page, type PageArgs } from '../shared/page';
import {
  type AllocationEntity,
  type GrantEntity,
  LedgerEntity,
  type MovementEntity,
  type GrantStatus,
  type MovementType,
} from './entities';
import { grantStatusSql } from './grant-sql';
import type { KeptHistory } from './kept-history';
import { balanceAt, fundingDueAt, grantsAt } from './views';
import {
  selectAllocations,
  selectGrants,
  selectLiveGrantsOfLedgers,
  selectMovements,
  selectHistoryPage,
  selectMovementsWithAllocations,
} from './rows';

/** A page of history, with the allocations of each of its movements (read in the same statement). */
export type MovementPage = Page<MovementEntity> & { allocations: ReadonlyMap<string, AllocationEntity[]> };

export interface BalanceView {
  currency: CurrencyEntity;
  settled: string;
  pending: string;
  /** What active holds reserve (SPEC §16), already subtracted from `pending`. */
  held: string;
  upcoming: string;
  asOf: Date;
}

export interface MovementFilter {
  currency?: string | null;
  types?: MovementType[] | null;
}

/** An open charge with an unbooked part. */
export interface OpenChargeRow {
  customer_id: string;
  currency_id: string;
  settlement_mode: string;
  amount: string;
  booked: string;
}

/** What open charges will still take: rated usage not yet booked (SPEC §7 pending), in the caller's `em`. */
export function openCharges(em: EntityManager, customerIds: readonly string[]): Promise<OpenChargeRow[]> {
  return em.execute<OpenChargeRow[]>(
    `select customer_id, currency_id, settlement_mode, amount::text as amount, booked::text as booked
       from charge where customer_id in (${customerIds.map(() => '?').join(', ')})
        and status = 'OPEN' and amount <> booked`,
    [...customerIds],
  );
}

/** SPEC §7 `pending` of one ledger from its settled figure, its open charges and its active holds (§16). */
export function pendingOf(
  settled: Dec,
  scale: number,
  open: readonly OpenChargeRow[],
  held: Dec = ZERO,
): Dec {
  return pendingBalance(
    settled,
    open.map((c) => ({
      mode: c.settlement_mode as SettlementMode,
      unbooked: roundToScale(new Dec(c.amount), scale).minus(c.booked),
    })),
    held,
  );
}

/**
 * The ledger's reads: balances as of now (SPEC §7), grants, movements and allocations, keyset pages (SPEC
 * §12). Nothing here locks or writes; figures as of an instant come from views.ts, on the engine's rules.
 */
export class LedgerReads {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
    /** The process's kept first pages of history (null: every page is read). */
    private readonly kept: KeptHistory | null = null,
  ) {}

  /** SPEC §7 balances from one statement (one snapshot: never blocks writers, one round trip). */
  async balances(customerId: string, currencyCode?: string | null): Promise<BalanceView[]> {
    const asOf = this.clock.now();
    let currencyId: string | null = null;
    if (currencyCode != null) {
      const c = await currencyOfCode(this.em, currencyCode);
      if (!c) return [];
      currencyId = c.id;
    }
    return this.views(customerId, await selectBalanceFacts(this.em, customerId, currencyId, asOf), asOf);
  }

  /**
   * A customer's movements after `cursor`, the first `limit` in booking order (optionally of one currency),
   * with the balances of the same snapshot when there is any (the live feeds' one read per change).
   */
  async movementsAfter(
    customerId: string,
    currencyId: string | null,
    cursor: MovementCursor,
    limit: number,
  ): Promise<{ movements: MovementEntity[]; balances: BalanceView[] }> {
    const asOf = this.clock.now();
    const read = await selectMovementsWithFacts(this.em, customerId, currencyId, cursor, limit, asOf);
    return { movements: read.movements, balances: await this.views(customerId, read.facts, asOf) };
  }

  /**
   * `movementsAfter` of several distinct customers (all currencies, sequence 0 on ledgers without a cursor)
   * in one statement: per customer its first `limit` new movements and the balances of that snapshot. A
   * customer with nothing new is absent from the answer.
   */
  async movementsAfterMany(
    cursors: readonly { customerId: string; after: ReadonlyMap<string, number> }[],
    limit: number,
  ): Promise<Map<string, { movements: MovementEntity[]; balances: BalanceView[] }>> {
    const asOf = this.clock.now();
    const out = new Map<string, { movements: MovementEntity[]; balances: BalanceView[] }>();
    if (cursors.length === 0) return out;
    for (const [customerId, read] of await selectMovementsWithFactsOfMany(this.em, cursors, limit, asOf))
      out.set(customerId, {
        movements: read.movements,
        balances: await this.views(customerId, read.facts, asOf),
      });
    return out;
  }

  /** SPEC §7 balances from their facts, ordered by currency code. */
  private async views(customerId: string, facts: BalanceFacts[], asOf: Date): Promise<BalanceView[]> {
    if (facts.length === 0) return [];
    const currencies = await currenciesOfIds(
      this.em,
      facts.map((f) => f.currencyId),
    );
    return facts
      .map((f) => {
        const currency = currencies.get(f.currencyId)!;
        const { settled, upcoming } = balanceAt(
          { balance: new Dec(f.balance), debt: new Dec(f.debt) },
          f.grants,
          asOf,
        );
        const held = new Dec(f.held);
        const open = f.open.map((c) => ({ ...c, customer_id: customerId, currency_id: f.currencyId }));
        const p = pendingOf(settled, currency.scale, open, held);
        return {
          currency,
          settled: formatDecimal(settled, currency.scale),
          pending: formatDecimal(p, currency.scale),
          held: formatDecimal(held, currency.scale),
          upcoming: formatDecimal(upcoming, currency.scale),
          asOf,
        };
      })
      .sort((a, b) => (a.currency.code < b.currency.code ? -1 : 1));
  }

  /**
   * Grants by id as of now (what `creditGrants`, nodes and loaders show). A grant whose funding is due but
   * not booked yet shows what the booking will leave it: outstanding debt is repaid from it first (SPEC §5,
   * §6), so its ledger's debt and due fundings are read with it (`grantsAt`, on the engine's `applyDue`).
   */
  async grantsByIds(ids: readonly string[]): Promise<Map<string, GrantEntity>> {
    const rows = await selectGrants(this.em, ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const asOf = this.clock.now();
    const ledgerIds = [...new Set(rows.filter((r) => fundingDueAt(r, asOf)).map((r) => r.ledgerId))];
    if (ledgerIds.length === 0) return byId;
    const live = await selectLiveGrantsOfLedgers(this.em, ledgerIds);
    for (const ledgerId of ledgerIds) {
      const ofLedger = live.filter((x) => x.grant.ledgerId === ledgerId);
      if (ofLedger.length === 0) continue;
      const ledger = { balance: new Dec(ofLedger[0]!.balance), debt: new Dec(ofLedger[0]!.debt) };
      const grants = ofLedger.map((x) => x.grant);
      for (const g of grantsAt(ledger, grants, asOf)) if (byId.has(g.id)) byId.set(g.id, g);
    }
    return byId;
  }

  async listGrants(
    customerId: string,
    filter: { currency?: string | null; status?: GrantStatus[] | null },
    args: PageArgs,
  ): Promise<Page<GrantEntity>> {
    const asOf = this.clock.now();
    const scope = this.cursors.scopeOf([
      'grants',
      customerId,
      filter.currency ?? null,
      [...(filter.status ?? [])].sort(),
    ]);
    const req = keysetRequest<string>(args, this.cursors, scope, 'string');
    const conds: string[] = ['g.customer_id = ?'];
    const params: unknown[] = [customerId];
    if (filter.currency != null) {
      conds.push('c.code = ?');
      params.push(filter.currency);
    }
    if (filter.status && filter.status.length > 0) {
      const statuses = [...new Set(filter.status)];
      const at = () => {
        params.push(asOf.toISOString());
        return '?::timestamptz';
      };
      conds.push(`${grantStatusSql(at)} in (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
    }
    if (req.bound !== null) {
      conds.push(req.forward ? 'g.id < ?' : 'g.id > ?');
      params.push(req.bound);
    }
    params.push(req.limit + 1);
    const rows = await this.em.execute<{ id: string }[]>(
      `select g.id from credit_grant g join currency c on c.id = g.currency_id
        where ${conds.join(' and ')} order by g.id ${req.forward ? 'desc' : 'asc'} limit ?`,
      params,
    );
    const byId = await this.grantsByIds(rows.map((r) => r.id));
    return finishPage(
      rows.map((r) => byId.get(r.id)!),
      req,
      (g) => g.id,
      this.cursors,
      scope,
    );
  }

  async movementById(id: string): Promise<MovementEntity | null> {
    if (!isIdOf(IdPrefix.CreditMovement, id)) return null;
    return (await selectMovements(this.em, 'm.id = ?', [id]))[0] ?? null;
  }

  async movementsByIds(ids: readonly string[]): Promise<Map<string, MovementEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await selectMovements(this.em, `m.id in (${ids.map(() => '?').join(',')})`, [...ids]);
    return new Map(rows.map((r) => [r.id, r]));
  }

  async allocationsByMovementIds(ids: readonly string[]): Promise<Map<string, AllocationEntity[]>> {
    const rows = await selectAllocations(this.em, ids);
    const out = new Map<string, AllocationEntity[]>(ids.map((id) => [id, []]));
    for (const r of rows) out.get(r.movementId)?.push(r);
    return out;
  }

  /** History newest first, keyset on the customer-wide booking order; never OFFSET (SPEC §12). */
  async listMovements(customerId: string, filter: MovementFilter, args: PageArgs): Promise<MovementPage> {
    const types = filter.types && filter.types.length > 0 ? [...new Set(filter.types)].sort() : null;
    const scope = this.cursors.scopeOf(['movements', customerId, filter.currency ?? null, types]);
    const req = keysetRequest<string>(args, this.cursors, scope, 'string');
    if (req.bound !== null && !/^[0-9]{1,18}$/.test(req.bound)) throw DomainError.badInput('Invalid cursor');
    const read = async (): Promise<MovementPage> => {
      // the unfiltered page, the one dashboards read most, is a prepared statement
      const { movements, allocations } =
        filter.currency == null && !types
          ? await selectHistoryPage(this.em, customerId, req.forward, req.bound, req.limit + 1)
          : await this.filteredHistory(customerId, filter.currency ?? null, types, req);
      return { ...finishPage(movements, req, (m) => String(m.gseq), this.cursors, scope), allocations };
    };
    // its first page, newest first, is kept between requests while nothing is booked (never inside a
    // transaction, which may hold movements not yet committed)
    const first = filter.currency == null && !types && req.forward && req.bound === null;
    return first && this.kept && !this.em.isInTransaction()
      ? this.kept.firstPage(customerId, req.limit, read)
      : read();
  }

  /** A history page of one currency or of some movement types (the keyset request as `listMovements` made it). */
  private filteredHistory(
    customerId: string,
    currency: string | null,
    types: string[] | null,
    req: { forward: boolean; bound: string | null; limit: number },
  ) {
    const conds = ['m.customer_id = ?'];
    const params: unknown[] = [customerId];
    if (currency !== null) {
      // the ledger of that currency, resolved inside the same statement
      conds.push(
        `m.ledger_id = (select l.id from ledger l join currency c on c.id = l.currency_id
                         where l.customer_id = ? and c.code = ?)`,
      );
      params.push(customerId, currency);
    }
    if (types) {
      conds.push(`m.type in (${types.map(() => '?').join(',')})`);
      params.push(...types);
    }
    if (req.bound !== null) {
      conds.push(req.forward ? 'm.gseq < ?::bigint' : 'm.gseq > ?::bigint');
      params.push(req.bound);
    }
    params.push(req.limit + 1);
    return selectMovementsWithAllocations(
      this.em,
      conds.join(' and '),
      params,
      `order by m.gseq ${req.forward ? 'desc' : 'asc'} limit ?`,
    );
  }

  async ledgerIdFor(customerId: string, currencyId: string): Promise<string | null> {
    const l = await this.em.findOne(LedgerEntity, { customerId, currencyId });
    return l?.id ?? null;
  }
}
