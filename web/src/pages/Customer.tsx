import { useCallback, useEffect, useMemo, useReducer, useState } from 'react';
import { useQuery } from 'urql';
import type { Session } from '../auth';
import { Actions } from '../components/Actions';
import { BalanceChart, ExpiringChart } from '../components/Charts';
import { Billing, Grants, History, Programs } from '../components/Tables';
import { DashboardCustomerDocument, DashboardLedgerDocument } from '../gql/graphql';
import { label, money, when } from '../format';
import { useLiveAlerts, useLiveBalance, useNewLedgers, type Balance } from '../live';

/** One customer: balances live, charts, grants, history, charges, invoices, alerts and programs. */
export function CustomerPage({ id, session }: { id: string; session: Session }) {
  const [{ data, fetching, error }, refetchCustomer] = useQuery({
    query: DashboardCustomerDocument,
    variables: { id },
  });
  const [live, setLive] = useState<Record<string, Balance>>({});
  // bumped once per booked movement: the lists below read again
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  const customer = data?.customer;
  const balances = useMemo(
    () => (customer?.creditBalances ?? []).map((b) => live[b.currency.code] ?? b),
    [customer, live],
  );
  const currencies = useMemo(() => balances.map((b) => b.currency.code), [balances]);
  const [chartCurrency, setChartCurrency] = useState<string | null>(null);
  const shownCurrency =
    chartCurrency && currencies.includes(chartCurrency) ? chartCurrency : (currencies[0] ?? null);
  const onBalance = useCallback((b: Balance) => setLive((l) => ({ ...l, [b.currency.code]: b })), []);
  const onNewLedger = useCallback(
    () => refetchCustomer({ requestPolicy: 'network-only' }),
    [refetchCustomer],
  );
  useNewLedgers(id, currencies, onNewLedger);
  const alerts = useLiveAlerts(id);

  if (error && !customer) return <p className="error-box">{error.message}</p>;
  if (!customer) return <p className="muted">{fetching ? 'Loading…' : 'No such customer.'}</p>;
  const admin = session.kind === 'admin';

  return (
    <section data-testid="customer-page">
      <div className="page-head">
        <div>
          <h1>{customer.name}</h1>
          <p className="muted">
            <span className="mono">{customer.key}</span>
            {customer.email ? ` · ${customer.email}` : ''} · <span className="mono small">{customer.id}</span>
          </p>
        </div>
        <span className="live-dot" title="Balances update live over graphql-ws">
          live
        </span>
      </div>

      <h2>Balances</h2>
      {balances.length === 0 && <p className="empty card">No credit yet.</p>}
      <div className="balances">
        {balances.map((b) => (
          <LiveBalanceCard
            key={b.currency.code}
            customerId={id}
            balance={b}
            onBalance={onBalance}
            onMovement={bump}
          />
        ))}
      </div>

      {shownCurrency && (
        <>
          <div className="section-head">
            <h2>Over time</h2>
            {currencies.length > 1 && (
              <select
                aria-label="Chart currency"
                value={shownCurrency}
                onChange={(e) => setChartCurrency(e.target.value)}
              >
                {currencies.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            )}
          </div>
          <LedgerCharts customerId={id} currency={shownCurrency} version={version} />
        </>
      )}

      {admin && (
        <>
          <h2>Actions</h2>
          <Actions customerId={id} currencies={currencies} />
        </>
      )}

      <Grants customerId={id} version={version} admin={admin} />
      <History customerId={id} version={version} currencies={currencies} />
      <Billing customerId={id} version={version} />

      <h2>Alerts</h2>
      <div className="card flush">
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Alert</th>
              <th>Currency</th>
              <th className="num">Threshold</th>
              <th className="num">Balance</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a, i) => (
              <tr key={i}>
                <td>{when(a.at)}</td>
                <td>
                  <span className={`badge ${a.type === 'RECOVERED' ? 'good' : 'warn'}`}>{label(a.type)}</span>
                </td>
                <td>{a.currency}</td>
                <td className="num">{money(a.threshold)}</td>
                <td className="num">{money(a.balance)}</td>
              </tr>
            ))}
            {alerts.length === 0 && (
              <tr>
                <td colSpan={5} className="empty">
                  No alert since this page opened. Alerts arrive live when the settled balance crosses zero or
                  a threshold.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      <Programs customer={customer} />
    </section>
  );
}

function LiveBalanceCard({
  customerId,
  balance: b,
  onBalance,
  onMovement,
}: {
  customerId: string;
  balance: Balance;
  onBalance(b: Balance): void;
  onMovement(): void;
}) {
  useLiveBalance(customerId, b.currency.code, onBalance, onMovement);
  const code = b.currency.code;
  return (
    <div className="card balance" data-testid={`balance-${code}`}>
      <div className="balance-head">
        <strong>{code}</strong>
        <span className="muted small">{b.currency.name}</span>
      </div>
      <div className="settled" data-testid={`settled-${code}`}>
        {money(b.settled)}
      </div>
      <div className="muted small">settled</div>
      <dl>
        <dt>Pending</dt>
        <dd data-testid={`pending-${code}`}>{money(b.pending)}</dd>
        <dt>Held</dt>
        <dd>{money(b.held)}</dd>
        <dt>Upcoming</dt>
        <dd>{money(b.upcoming)}</dd>
      </dl>
      <div className="muted small">as of {when(b.asOf)}</div>
    </div>
  );
}

function LedgerCharts({
  customerId,
  currency,
  version,
}: {
  customerId: string;
  currency: string;
  version: number;
}) {
  const [{ data, error }, refetch] = useQuery({
    query: DashboardLedgerDocument,
    variables: { customerId, currency },
  });
  useEffect(() => {
    if (version > 0) refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);
  const points = (data?.creditTransactions.edges ?? [])
    .map((e) => ({ at: e.node.bookedAt, balance: e.node.balanceAfter }))
    .reverse();
  const forecast = data?.customer?.creditForecast;
  return (
    <div className="charts">
      {error && <p className="error-box">{error.message}</p>}
      <div className="card">
        <h3>Settled balance (last 100 movements)</h3>
        <BalanceChart points={points} code={currency} />
      </div>
      <div className="card">
        <h3>About to expire</h3>
        <ExpiringChart items={forecast?.expiring ?? []} code={currency} />
        {forecast && (
          <p className="muted small">
            Burn rate {money(forecast.burnRatePerDay, currency)}/day ·{' '}
            {forecast.runOutAt ? `runs out ${when(forecast.runOutAt)}` : 'does not run out within a year'}
          </p>
        )}
      </div>
    </div>
  );
}
