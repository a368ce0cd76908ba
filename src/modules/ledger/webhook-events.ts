import type { EntityManager } from '@mikro-orm/postgresql';
import { upcomingCredit } from '../../engine';
import { type Dec, formatDecimal, sum } from '../../money';
import { alertViews, thresholdsOf } from '../alerts';
import { beforeCommit } from '../shared/tx';
import {
  recordWebhookEvents,
  subscribedWebhookTypes,
  webhookEventTypes,
  type WebhookEventInput,
  type WebhookEventType,
} from '../webhooks';
import type { GrantOrigin } from './entities';
import { holdStore } from './holds';
import { openCharges, pendingOf, type OpenChargeRow } from './reads';
import type { BookedMovement, GrantState } from './store';
import { grantViewAt } from './views';

/**
 * The webhook events of the ledger (SPEC §15): `credit_grant.*`, `credit_top_up.*` (grants of origin
 * AUTO_TOP_UP), `credit_balance.updated` for every movement and the alert crossings it causes. `LedgerTx`
 * notes what changed as it books; its flush hands the notes here, and they are recorded in the same
 * transaction just before it commits (`beforeCommit`), so a rollback sends nothing and the balances are those
 * of the whole change (settlement books its charges after the flush). When no endpoint subscribes to any of
 * these types, nothing is kept and no SQL runs.
 */

/** A grant change noted by `LedgerTx`, with the grant as it was right after it. */
export interface GrantNote {
  kind: 'created' | 'funded' | 'expired' | 'voided';
  grant: GrantState;
  at: Date;
  /** The ledger's last sequence when it was noted: orders notes among the movements. */
  sequence: number;
}

/** What one ledger of a transaction changed since its last flush. */
export interface LedgerChanges {
  ledgerId: string;
  customerId: string;
  currencyId: string;
  currencyCode: string;
  scale: number;
  movements: readonly BookedMovement[];
  grants: readonly GrantNote[];
  /** The ledger's state at commit (read when the events are built). */
  final: () => { settled: Dec; grants: Iterable<GrantState>; asOf: Date };
}

/** The types the ledger causes: every `credit_*` type (the others are the invoices'). */
const LEDGER_TYPES = webhookEventTypes.filter((t) => t.startsWith('credit_'));

const ALERT_TYPE = {
  DEPLETED: 'credit_balance.depleted',
  DROPPED_BELOW_THRESHOLD: 'credit_balance.dropped_below_threshold',
  RECOVERED: 'credit_balance.recovered',
} as const satisfies Record<string, WebhookEventType>;

/** What a grant row holds beyond the ledger's in-memory state; fixed at creation. */
export interface GrantFacts {
  name: string | null;
  purchaseCurrency: string | null;
  purchaseTotal: string | null;
  invoiceId: string | null;
  origin: GrantOrigin;
  subscriptionId: string | null;
  rolledFromId: string | null;
}

/**
 * A grant in the API's shape (the scalar fields of `CreditGrant`, its relations by id, amounts at the
 * currency's scale, status and remaining as of `asOf`): the `grant` of webhook events.
 */
export function grantEventData(
  g: GrantState,
  facts: GrantFacts,
  currency: { code: string; scale: number },
  asOf: Date,
): Record<string, unknown> {
  const view = grantViewAt(g, asOf);
  return {
    id: g.id,
    currency: currency.code,
    name: facts.name,
    amount: formatDecimal(g.amount, currency.scale),
    remaining: formatDecimal(view.remaining, currency.scale),
    fundingMethod: g.fundingMethod,
    status: view.status,
    priority: g.priority,
    effectiveAt: g.effectiveAt,
    expiresAt: g.expiresAt,
    purchase:
      facts.purchaseCurrency !== null
        ? {
            currency: facts.purchaseCurrency,
            perUnitCost: g.perUnitCost.toFixed(),
            totalAmount: facts.purchaseTotal ?? '0',
          }
        : null,
    paymentStatus: g.paymentStatus,
    invoiceId: facts.invoiceId,
    featureKeys: g.featureKeys,
    adjustment: g.source === 'ADJUSTMENT',
    source: facts.origin,
    subscriptionId: facts.subscriptionId,
    rolledFromId: facts.rolledFromId,
    fundedAt: g.fundedAt,
    voidedAt: g.voidedAt,
    createdAt: g.createdAt,
  };
}

/** A movement in the API's shape (the scalar fields of `CreditMovement`, relations by id). */
export function movementEventData(
  m: BookedMovement,
  currency: { code: string; scale: number },
): Record<string, unknown> {
  const f = (d: Dec) => formatDecimal(d, currency.scale);
  return {
    id: m.id,
    sequence: m.sequence,
    type: m.type,
    currency: currency.code,
    amount: f(m.amount),
    balanceBefore: f(m.balanceBefore),
    balanceAfter: f(m.balanceAfter),
    bookedAt: m.bookedAt,
    description: m.description,
    grantId: m.grantId,
    chargeId: m.chargeId,
    correctsId: m.correctsId,
    allocations: m.allocations.map((a) => ({ grantId: a.grantId, amount: f(a.amount) })),
  };
}

interface Collected {
  types: ReadonlySet<string>;
  changes: LedgerChanges[];
}

const collecting = new WeakMap<EntityManager, Collected>();

/**
 * Keeps what a flush wrote for the webhook events recorded before the transaction commits (at once when
 * `em` is not in an `inTransaction` transaction). Costs only the cached type lookup when nobody subscribes.
 */
export async function collectLedgerEvents(
  em: EntityManager,
  changes: readonly LedgerChanges[],
): Promise<void> {
  const fresh = changes.filter((c) => c.movements.length > 0 || c.grants.length > 0);
  if (fresh.length === 0) return;
  let c = collecting.get(em);
  if (!c) {
    const types = await subscribedWebhookTypes(em);
    if (!LEDGER_TYPES.some((t) => types.has(t))) return;
    const mine: Collected = { types, changes: [] };
    const later = beforeCommit(em, (txEm) => {
      collecting.delete(em);
      return recordLedgerEvents(txEm, mine);
    });
    if (!later) {
      mine.changes.push(...fresh);
      return recordLedgerEvents(em, mine);
    }
    collecting.set(em, mine);
    c = mine;
  }
  c.changes.push(...fresh);
}

interface FactsRow {
  id: string;
  name: string | null;
  purchase_currency: string | null;
  purchase_total: string | null;
  invoice_id: string | null;
  origin: GrantOrigin;
  subscription_id: string | null;
  rolled_from_id: string | null;
}

async function grantFacts(em: EntityManager, ids: readonly string[]): Promise<Map<string, GrantFacts>> {
  if (ids.length === 0) return new Map();
  const rows = await em.execute<FactsRow[]>(
    `select id, name, purchase_currency, purchase_total::text as purchase_total, invoice_id, origin,
            subscription_id, rolled_from_id
       from credit_grant where id in (${ids.map(() => '?').join(', ')})`,
    [...ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        name: r.name,
        purchaseCurrency: r.purchase_currency,
        purchaseTotal: r.purchase_total,
        invoiceId: r.invoice_id,
        origin: r.origin,
        subscriptionId: r.subscription_id,
        rolledFromId: r.rolled_from_id,
      },
    ]),
  );
}

const GRANT_TYPE = {
  created: 'credit_grant.created',
  funded: 'credit_grant.funded',
  expired: 'credit_grant.expired',
  voided: 'credit_grant.voided',
} as const satisfies Record<GrantNote['kind'], WebhookEventType>;

/** Builds the events of everything collected (a few batch reads, only for types someone wants) and records them. */
async function recordLedgerEvents(em: EntityManager, c: Collected): Promise<void> {
  const wants = (t: WebhookEventType) => c.types.has(t);
  const grantTypes = wants('credit_top_up.created') || wants('credit_top_up.failed');
  const anyGrant = grantTypes || Object.values(GRANT_TYPE).some(wants);
  const withMovements = c.changes.filter((x) => x.movements.length > 0);
  const customers = [...new Set(withMovements.map((x) => x.customerId))];
  const anyAlert = Object.values(ALERT_TYPE).some(wants);
  const grantIds = anyGrant ? [...new Set(c.changes.flatMap((x) => x.grants.map((n) => n.grant.id)))] : [];
  const balances = wants('credit_balance.updated') && customers.length > 0;
  const asOf = new Date(Math.max(...withMovements.map((x) => x.final().asOf.getTime())));
  const [facts, open, holds, thresholds] = await Promise.all([
    grantFacts(em, grantIds),
    balances ? openCharges(em, customers) : Promise.resolve([] as OpenChargeRow[]),
    balances
      ? holdStore.active(
          em,
          withMovements.map((x) => x.ledgerId),
          asOf,
        )
      : Promise.resolve(new Map<string, { amount: Dec }[]>()),
    anyAlert ? thresholdsOf(em, customers) : Promise.resolve(new Map<string, Dec[]>()),
  ]);
  const events: WebhookEventInput[] = [];
  for (const x of c.changes) {
    const currency = { code: x.currencyCode, scale: x.scale };
    const customerId = x.customerId;
    const grantEvents = (n: GrantNote) => {
      const f = facts.get(n.grant.id);
      if (!f) return;
      const data = { customerId, grant: grantEventData(n.grant, f, currency, n.at) };
      const push = (type: WebhookEventType) => {
        if (wants(type)) events.push({ type, customerId, occurredAt: n.at, data });
      };
      push(GRANT_TYPE[n.kind]);
      if (f.origin === 'AUTO_TOP_UP' && n.kind === 'created') push('credit_top_up.created');
      if (f.origin === 'AUTO_TOP_UP' && n.kind === 'voided' && n.grant.paymentStatus === 'FAILED')
        push('credit_top_up.failed');
    };
    let balance: Record<string, unknown> | null = null;
    if (x.movements.length > 0 && wants('credit_balance.updated')) {
      const end = x.final();
      const live = [...end.grants].filter((g) => g.voidedAt === null && g.expiredAt === null);
      const mine = open.filter((o) => o.customer_id === customerId && o.currency_id === x.currencyId);
      const held = sum((holds.get(x.ledgerId) ?? []).map((h) => h.amount));
      balance = {
        currency: x.currencyCode,
        settled: formatDecimal(end.settled, x.scale),
        pending: formatDecimal(pendingOf(end.settled, x.scale, mine, held), x.scale),
        held: formatDecimal(held, x.scale),
        upcoming: formatDecimal(upcomingCredit(live, end.asOf), x.scale),
        asOf: end.asOf,
      };
    }
    const limits = thresholds.get(`${customerId}|${x.currencyId}`) ?? [];
    // notes and movements in booking order: a note comes after the movement it was noted with
    let n = 0;
    for (const m of x.movements) {
      while (n < x.grants.length && x.grants[n]!.sequence < m.sequence) grantEvents(x.grants[n++]!);
      if (balance) {
        events.push({
          type: 'credit_balance.updated',
          customerId,
          occurredAt: m.bookedAt,
          data: {
            customerId,
            movement: movementEventData(m, currency),
            // as the live update shows it: the figures at commit, settled right after this movement
            balance: { ...balance, settled: formatDecimal(m.balanceAfter, x.scale) },
          },
        });
      }
      if (anyAlert) {
        for (const alert of alertViews(customerId, currency, m, limits)) {
          const type = ALERT_TYPE[alert.type];
          if (wants(type))
            events.push({ type, customerId, occurredAt: alert.at, data: { customerId, alert } });
        }
      }
    }
    while (n < x.grants.length) grantEvents(x.grants[n++]!);
  }
  await recordWebhookEvents(em, events);
}
