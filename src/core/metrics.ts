import { Counter } from 'prom-client';

/**
 * Process-wide counters that layers below the server increment on their hot paths (a label lookup and an
 * addition, nothing more). They belong to no registry here: src/server/metrics.ts registers them, with
 * the gauges it computes at scrape time, in the one registry `/metrics` serves.
 */
export const counters = {
  /** Movements in committed transactions, by type (FUNDED, CONSUMED, …). */
  movementsBooked: new Counter({
    name: 'drawdown_movements_booked_total',
    help: 'Ledger movements booked by this process (committed), by movement type',
    labelNames: ['type'] as const,
    registers: [],
  }),
  /** Errors answered to clients over HTTP and WebSocket, by extensions.code (the one formatError). */
  graphqlErrors: new Counter({
    name: 'drawdown_graphql_errors_total',
    help: 'GraphQL errors answered, by extensions.code',
    labelNames: ['code'] as const,
    registers: [],
  }),
};

/** Counts movements of a committed transaction (several of one type at once). */
export function countBooked(byType: ReadonlyMap<string, number>): void {
  for (const [type, n] of byType) counters.movementsBooked.inc({ type }, n);
}
