/** The shapes a reconciliation reports; `service.ts` computes them, `report.ts` prints them. */
/** What can drift between the ledger's stored figures and what its movements, allocations and grants say. */
export const DriftKind = {
  /** A ledger's movement sequences are not 1, 2, 3 … without gaps. */
  SEQUENCE_GAP: 'SEQUENCE_GAP',
  /** A movement's balanceAfter is not its balanceBefore plus its amount. */
  BALANCE_ARITHMETIC: 'BALANCE_ARITHMETIC',
  /** A movement's balanceBefore is not the previous movement's balanceAfter (0 for the first). */
  BALANCE_CHAIN: 'BALANCE_CHAIN',
  /** A movement's allocations do not add up to its amount. */
  ALLOCATION_SUM: 'ALLOCATION_SUM',
  /** A grant's remaining is not what its allocations left (its amount while unfunded, 0 if voided unfunded). */
  GRANT_REMAINING: 'GRANT_REMAINING',
  /** The ledger row's balance is not its last movement's balanceAfter, or not the sum of the amounts. */
  LEDGER_BALANCE: 'LEDGER_BALANCE',
  /** The ledger row's last sequence is not its last movement's sequence. */
  LEDGER_SEQUENCE: 'LEDGER_SEQUENCE',
  /** The ledger row's debt is not what its uncovered (null-grant) allocations took. */
  LEDGER_DEBT: 'LEDGER_DEBT',
  /** The ledger balance is not the funded grants' remaining minus the debt. */
  LEDGER_GRANTS: 'LEDGER_GRANTS',
  /** A charge's credited amount is not what its CONSUMED movements took (a charge booked without its movement). */
  CHARGE_CREDITED: 'CHARGE_CREDITED',
} as const;
export type DriftKind = (typeof DriftKind)[keyof typeof DriftKind];

export interface DriftItem {
  kind: DriftKind;
  customerId: string;
  currency: string;
  ledgerId: string | null;
  /** The movement, grant or charge concerned; null for the ledger row itself. */
  entityId: string | null;
  /** The movement's sequence, for movement-level drift. */
  sequence: number | null;
  expected: string;
  actual: string;
  detail: string;
}

export interface Reconciliation {
  checkedAt: Date;
  customerId: string | null;
  ledgers: number;
  movements: number;
  grants: number;
  charges: number;
  drift: DriftItem[];
  /** More drift was found than `limit` items per kind of check; the list shows the first ones. */
  truncated: boolean;
}
