import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { formErrors } from '../errors';
import {
  DashboardBillingDocument,
  DashboardGrantsDocument,
  DashboardHistoryDocument,
  DashboardVoidDocument,
  type DashboardCustomerQuery,
  type MovementType,
} from '../gql/graphql';
import { day, label, money, signed, when } from '../format';
import { ForwardPager, useForwardPages } from './Pager';

/** Re-reads a query (network only) each time a movement is booked. */
function useRefresh(version: number, refetch: (o: { requestPolicy: 'network-only' }) => void) {
  useEffect(() => {
    if (version > 0) refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);
}

const GRANTS_PAGE = 10;

export function Grants({
  customerId,
  version,
  admin,
}: {
  customerId: string;
  version: number;
  admin: boolean;
}) {
  const pages = useForwardPages();
  const [{ data }, refetch] = useQuery({
    query: DashboardGrantsDocument,
    variables: { customerId, first: GRANTS_PAGE, after: pages.after },
  });
  useRefresh(version, refetch);
  const [voiding, voidGrant] = useMutation(DashboardVoidDocument);
  const [voidError, setVoidError] = useState<{ id: string; message: string } | null>(null);
  const page = data?.creditGrants;
  const doVoid = async (id: string) => {
    if (!window.confirm('Void this grant? Its remaining credit is taken off the balance.')) return;
    const res = await voidGrant({ grantId: id, reason: 'voided from the dashboard' });
    const e = formErrors(res.error);
    setVoidError(res.error ? { id, message: e.general ?? Object.values(e.fields).join('; ') } : null);
  };
  return (
    <>
      <h2>Grants</h2>
      <div className="card flush">
        <table data-testid="grants">
          <thead>
            <tr>
              <th>Name</th>
              <th>Source</th>
              <th>Status</th>
              <th className="num">Amount</th>
              <th className="num">Remaining</th>
              <th>Expires</th>
              {admin && <th />}
            </tr>
          </thead>
          <tbody>
            {page?.edges.map(({ node: g }) => (
              <tr key={g.id}>
                <td>
                  {g.name ?? <span className="muted">(unnamed)</span>}
                  {voidError?.id === g.id && <p className="field-error">{voidError.message}</p>}
                </td>
                <td>{label(g.source)}</td>
                <td>
                  <span
                    className={`badge ${g.status === 'ACTIVE' ? 'good' : g.status === 'PENDING' ? '' : 'dim'}`}
                  >
                    {label(g.status)}
                  </span>
                </td>
                <td className="num">{money(g.amount, g.currency.code)}</td>
                <td className="num">{money(g.remaining, g.currency.code)}</td>
                <td>{g.expiresAt ? day(g.expiresAt) : <span className="muted">never</span>}</td>
                {admin && (
                  <td className="num">
                    {(g.status === 'ACTIVE' || g.status === 'PENDING') && (
                      <button
                        className="small danger"
                        disabled={voiding.fetching}
                        onClick={() => doVoid(g.id)}
                      >
                        Void
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
            {page && page.edges.length === 0 && (
              <tr>
                <td colSpan={admin ? 7 : 6} className="empty">
                  No grants.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <ForwardPager pages={pages} pageInfo={page?.pageInfo} />
    </>
  );
}

const TYPES: MovementType[] = ['FUNDED', 'CONSUMED', 'ADJUSTED', 'CORRECTED', 'EXPIRED', 'VOIDED'];
const HISTORY_PAGE = 10;

type Window = { first: number; after: string | null } | { last: number; before: string };

/**
 * The ledger, newest first, a page at a time in both directions: "Older" asks first/after the page's last
 * cursor, "Newer" last/before its first cursor (keyset paging on the sequence, never offsets).
 */
export function History({
  customerId,
  version,
  currencies,
}: {
  customerId: string;
  version: number;
  currencies: string[];
}) {
  const [types, setTypes] = useState<MovementType[]>([]);
  const [currency, setCurrency] = useState<string>('');
  const [win, setWin] = useState<Window>({ first: HISTORY_PAGE, after: null });
  const reset = () => setWin({ first: HISTORY_PAGE, after: null });
  const [{ data, fetching }, refetch] = useQuery({
    query: DashboardHistoryDocument,
    variables: {
      customerId,
      currency: currency || null,
      types: types.length ? types : null,
      ...('first' in win ? { first: win.first, after: win.after } : { last: win.last, before: win.before }),
    },
  });
  useRefresh(version, refetch);
  const page = data?.creditTransactions;
  const toggle = (t: MovementType) => {
    setTypes((ts) => (ts.includes(t) ? ts.filter((x) => x !== t) : [...ts, t]));
    reset();
  };
  // on the newest page (first, no cursor), "Newer" has nothing to show
  const atNewest = 'first' in win ? win.after === null : !page?.pageInfo.hasPreviousPage;
  const atOldest = 'first' in win ? !page?.pageInfo.hasNextPage : false;
  return (
    <>
      <div className="section-head">
        <h2>History</h2>
        <div className="filters" role="group" aria-label="Movement types">
          {TYPES.map((t) => (
            <label key={t} className={types.includes(t) ? 'chip on' : 'chip'}>
              <input type="checkbox" checked={types.includes(t)} onChange={() => toggle(t)} />
              {label(t)}
            </label>
          ))}
          {currencies.length > 1 && (
            <select
              aria-label="History currency"
              value={currency}
              onChange={(e) => {
                setCurrency(e.target.value);
                reset();
              }}
            >
              <option value="">All currencies</option>
              {currencies.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          )}
        </div>
      </div>
      <div className="card flush">
        <table data-testid="history">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Booked</th>
              <th>Type</th>
              <th>What</th>
              <th className="num">Amount</th>
              <th className="num">Balance after</th>
            </tr>
          </thead>
          <tbody>
            {page?.edges.map(({ node: m }) => (
              <tr key={m.id} data-sequence={m.sequence}>
                <td className="num muted">{m.sequence}</td>
                <td>{when(m.bookedAt)}</td>
                <td>
                  <span className={`badge type-${m.type.toLowerCase()}`}>{label(m.type)}</span>
                </td>
                <td>{m.description ?? m.grant?.name ?? m.charge?.description ?? ''}</td>
                <td className={`num ${m.amount.startsWith('-') ? 'neg' : 'pos'}`}>{signed(m.amount)}</td>
                <td className="num">{money(m.balanceAfter, m.currency.code)}</td>
              </tr>
            ))}
            {page && page.edges.length === 0 && (
              <tr>
                <td colSpan={6} className="empty">
                  {fetching ? 'Loading…' : 'No movements.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <div className="pager">
        <button
          data-testid="history-newer"
          disabled={atNewest || !page?.pageInfo.startCursor}
          onClick={() => setWin({ last: HISTORY_PAGE, before: page!.pageInfo.startCursor! })}
        >
          ← Newer
        </button>
        <button data-testid="history-newest" disabled={atNewest} onClick={reset}>
          Newest
        </button>
        <button
          data-testid="history-older"
          disabled={atOldest || !page?.pageInfo.endCursor}
          onClick={() => setWin({ first: HISTORY_PAGE, after: page!.pageInfo.endCursor! })}
        >
          Older →
        </button>
      </div>
    </>
  );
}

export function Billing({ customerId, version }: { customerId: string; version: number }) {
  const [{ data }, refetch] = useQuery({ query: DashboardBillingDocument, variables: { customerId } });
  useRefresh(version, refetch);
  const charges = data?.charges.edges ?? [];
  const invoices = data?.invoices.edges ?? [];
  return (
    <>
      <h2>Charges</h2>
      <div className="card flush">
        <table data-testid="charges">
          <thead>
            <tr>
              <th>Feature</th>
              <th>Period</th>
              <th>Status</th>
              <th className="num">Quantity</th>
              <th className="num">Amount</th>
              <th className="num">Paid by credit</th>
              <th className="num">Invoiced</th>
            </tr>
          </thead>
          <tbody>
            {charges.map(({ node: c }) => (
              <tr key={c.id}>
                <td>{c.feature?.name ?? c.description ?? 'One-off'}</td>
                <td>{c.periodStart ? `${day(c.periodStart)} – ${day(c.periodEnd)}` : '—'}</td>
                <td>
                  <span className={`badge ${c.status === 'OPEN' ? '' : 'good'}`}>{label(c.status)}</span>
                </td>
                <td className="num">{c.quantity ?? '—'}</td>
                <td className="num">{money(c.amount, c.currency.code)}</td>
                <td className="num">{money(c.creditedAmount)}</td>
                <td className="num">{money(c.invoicedAmount)}</td>
              </tr>
            ))}
            {charges.length === 0 && (
              <tr>
                <td colSpan={7} className="empty">
                  No charges.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <h2>Invoices</h2>
      <div className="card flush">
        <table data-testid="invoices">
          <thead>
            <tr>
              <th>Number</th>
              <th>Kind</th>
              <th>Issued</th>
              <th>Status</th>
              <th>Payment</th>
              <th className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {invoices.map(({ node: i }) => (
              <tr key={i.id}>
                <td className="mono">{i.number}</td>
                <td>{label(i.kind)}</td>
                <td>{day(i.issuedAt)}</td>
                <td>{label(i.status)}</td>
                <td>
                  <span
                    className={`badge ${i.paymentStatus === 'SETTLED' ? 'good' : i.paymentStatus === 'FAILED' ? 'warn' : ''}`}
                  >
                    {label(i.paymentStatus)}
                  </span>
                </td>
                <td className="num">{money(i.total, i.currency)}</td>
              </tr>
            ))}
            {invoices.length === 0 && (
              <tr>
                <td colSpan={6} className="empty">
                  No invoices.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

type Customer = NonNullable<DashboardCustomerQuery['customer']>;

/** Auto top-up rules and the purchase rules of the customer's subscriptions. */
export function Programs({ customer }: { customer: Customer }) {
  return (
    <div className="charts">
      <div>
        <h2>Auto top-up</h2>
        <div className="card flush">
          <table data-testid="auto-top-ups">
            <thead>
              <tr>
                <th>Currency</th>
                <th>State</th>
                <th className="num">Below</th>
                <th className="num">Top up</th>
                <th>Last</th>
              </tr>
            </thead>
            <tbody>
              {customer.autoTopUps.map((a) => (
                <tr key={a.currency.code}>
                  <td>{a.currency.code}</td>
                  <td>
                    <span className={`badge ${a.enabled ? 'good' : 'dim'}`}>{a.enabled ? 'On' : 'Off'}</span>
                  </td>
                  <td className="num">{money(a.threshold)}</td>
                  <td className="num">{a.amount ? `+${money(a.amount)}` : `to ${money(a.targetBalance)}`}</td>
                  <td>{when(a.lastTriggeredAt)}</td>
                </tr>
              ))}
              {customer.autoTopUps.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty">
                    No auto top-up rule.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </div>
      <div>
        <h2>Purchase rules</h2>
        <div className="card flush">
          <table data-testid="purchase-rules">
            <thead>
              <tr>
                <th>Plan</th>
                <th>Status</th>
                <th className="num">Price per credit</th>
                <th className="num">Min – max</th>
              </tr>
            </thead>
            <tbody>
              {customer.subscriptions.map((s) => {
                const rules = s.plan.creditPurchase;
                return (
                  <tr key={s.id}>
                    <td>
                      {s.plan.name} <span className="muted mono small">{s.plan.key}</span>
                    </td>
                    <td>{label(s.status)}</td>
                    <td className="num">
                      {rules ? (
                        money(s.creditUnitPrice ?? rules.unitPrice, rules.currency)
                      ) : (
                        <span className="muted">not for sale</span>
                      )}
                    </td>
                    <td className="num">
                      {rules ? `${money(rules.minAmount)} – ${money(rules.maxAmount)}` : '—'}
                    </td>
                  </tr>
                );
              })}
              {customer.subscriptions.length === 0 && (
                <tr>
                  <td colSpan={4} className="empty">
                    No subscription.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
