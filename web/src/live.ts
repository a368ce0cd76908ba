import { useEffect } from 'react';
import { useQuery, useSubscription } from 'urql';
import {
  DashboardAlertsDocument,
  DashboardBalanceChangedDocument,
  DashboardSequenceDocument,
  type BalanceFieldsFragment,
  type DashboardAlertsSubscription,
} from './gql/graphql';

export type Balance = BalanceFieldsFragment;
export type Alert = DashboardAlertsSubscription['creditBalanceAlerts'];

/**
 * Live balance of one ledger (customer, currency). It reads the ledger's last sequence first and subscribes
 * with `afterSequence` set to it: nothing booked between the page's query and the subscription is missed,
 * and after a reconnect the client (client.ts) resumes from the last update it received.
 * `onMovement` runs once per booked movement, so the page can refresh its lists.
 */
export function useLiveBalance(
  customerId: string,
  currency: string,
  onBalance: (b: Balance) => void,
  onMovement: () => void,
): void {
  const [{ data }] = useQuery({
    query: DashboardSequenceDocument,
    variables: { customerId, currency },
    requestPolicy: 'network-only',
  });
  const start = data ? (data.creditTransactions.edges[0]?.node.sequence ?? 0) : undefined;
  const [{ data: update }] = useSubscription({
    query: DashboardBalanceChangedDocument,
    variables: { customerId, currency, afterSequence: start ?? 0 },
    pause: start === undefined,
  });
  const u = update?.creditBalanceChanged;
  useEffect(() => {
    if (!u) return;
    onBalance(u.balance);
    if (u.movement) onMovement();
  }, [u]); // once per update received
}

/**
 * Ledgers that appear after the page opened (a first grant in a new currency): a subscription without
 * currency or afterSequence, only to notice them.
 */
export function useNewLedgers(customerId: string, known: string[], onNew: () => void): void {
  const [{ data }] = useSubscription({ query: DashboardBalanceChangedDocument, variables: { customerId } });
  const code = data?.creditBalanceChanged.balance.currency.code;
  useEffect(() => {
    if (code && !known.includes(code)) onNew();
  }, [data]);
}

/** Alerts sent while the page is open (DEPLETED, DROPPED_BELOW_THRESHOLD, RECOVERED), newest first. */
export function useLiveAlerts(customerId: string): Alert[] {
  const [{ data }] = useSubscription(
    { query: DashboardAlertsDocument, variables: { customerId } },
    (prev: Alert[] | undefined, d: DashboardAlertsSubscription) =>
      [d.creditBalanceAlerts, ...(prev ?? [])].slice(0, 20),
  );
  return data ?? [];
}
