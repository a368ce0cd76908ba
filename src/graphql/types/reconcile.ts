import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DriftKind, type DriftItem, type Reconciliation } from '../../modules/reconcile';

// registered from the reconcile module's own const object: one source for the values
export const LedgerDriftKind = DriftKind;
export type LedgerDriftKind = DriftKind;
registerEnumType(LedgerDriftKind, {
  name: 'LedgerDriftKind',
  description: 'What a reconciliation found out of step with the movements, allocations and grants.',
  valuesConfig: {
    SEQUENCE_GAP: { description: "A ledger's movement sequences are not 1, 2, 3 … without gaps." },
    BALANCE_ARITHMETIC: { description: "A movement's balanceAfter is not balanceBefore + amount." },
    BALANCE_CHAIN: {
      description: "A movement's balanceBefore is not the previous balanceAfter (0 for the first).",
    },
    ALLOCATION_SUM: { description: "A movement's allocations do not add up to its amount." },
    GRANT_REMAINING: { description: "A grant's remaining is not what its allocations left." },
    LEDGER_BALANCE: {
      description: "The ledger's balance is not its last balanceAfter or the sum of its amounts.",
    },
    LEDGER_SEQUENCE: { description: "The ledger's last sequence is not its last movement's." },
    LEDGER_DEBT: { description: "The ledger's debt is not what its uncovered allocations took." },
    LEDGER_GRANTS: {
      description: "The ledger's balance is not its funded grants' remaining minus its debt.",
    },
    CHARGE_CREDITED: {
      description: "A charge's credited amount is not what its CONSUMED movements took.",
    },
  },
});

@ObjectType('LedgerDrift', { description: 'One place where stored figures drift from what the ledger says.' })
export class LedgerDriftType {
  @Field(() => LedgerDriftKind) kind!: LedgerDriftKind;
  @Field(() => ID) customerId!: string;
  @Field({ description: 'The currency code of the ledger.' }) currency!: string;
  @Field(() => ID, { nullable: true }) ledgerId!: string | null;
  @Field(() => ID, {
    nullable: true,
    description: 'The movement, grant or charge concerned; null for the ledger row itself.',
  })
  entityId!: string | null;
  @Field(() => Int, { nullable: true, description: "The movement's sequence, for movement drift." })
  sequence!: number | null;
  @Field({ description: 'The figure recomputed from movements, allocations and grants.' }) expected!: string;
  @Field({ description: 'The figure stored.' }) actual!: string;
  @Field() detail!: string;
}

@ObjectType('LedgerReconciliation', {
  description: 'Every ledger (or one customer’s) recomputed from its movements, allocations and grants.',
})
export class LedgerReconciliationType {
  @Field(() => Date) checkedAt!: Date;
  @Field(() => Int) ledgers!: number;
  @Field(() => Int) movements!: number;
  @Field(() => Int) grants!: number;
  @Field(() => Int) charges!: number;
  @Field({ description: 'True when no drift was found.' }) clean!: boolean;
  @Field(() => [LedgerDriftType]) drift!: LedgerDriftType[];
  @Field({ description: 'More drift was found than one answer lists (500 per kind of check).' })
  truncated!: boolean;
}

function toDrift(d: DriftItem): LedgerDriftType {
  return Object.assign(new LedgerDriftType(), d);
}

export function toReconciliation(r: Reconciliation): LedgerReconciliationType {
  return Object.assign(new LedgerReconciliationType(), {
    checkedAt: r.checkedAt,
    ledgers: r.ledgers,
    movements: r.movements,
    grants: r.grants,
    charges: r.charges,
    clean: r.drift.length === 0,
    drift: r.drift.map(toDrift),
    truncated: r.truncated,
  });
}
