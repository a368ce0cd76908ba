import { Field, ID, InterfaceType, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import { Aggregation, PlanStatus, PriceModel, SettlementMode } from '../../modules/catalog';
import type { Page } from '../../modules/shared';
import { SubscriptionStatus } from '../../modules/subscriptions';

// GraphQL enums are registered from the modules' own const objects: one source for the values, and the
// module's union type is the field's type, so no value needs an `as` cast between the API and a module.
registerEnumType(SettlementMode, { name: 'SettlementMode' });
registerEnumType(PlanStatus, { name: 'PlanStatus' });
registerEnumType(Aggregation, { name: 'Aggregation' });
registerEnumType(PriceModel, { name: 'PriceModel' });
registerEnumType(SubscriptionStatus, { name: 'SubscriptionStatus' });
export { Aggregation, PlanStatus, PriceModel, SettlementMode, SubscriptionStatus };

/**
 * The values of a union type a module exports as a type only, as an object to register: the compiler
 * refuses a missing, extra or misspelled value, so the enum cannot drift from the module's type.
 */
export function enumOf<U extends string>(values: { [K in U]: K }): { readonly [K in U]: K } {
  return Object.freeze(values);
}

@InterfaceType('Node', { description: 'An object with a globally unique id, fetchable with `node(id)`.' })
export abstract class Node {
  @Field(() => ID) id!: string;
}

@ObjectType('PageInfo')
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface ConnectionShape<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

/** Relay Edge + Connection object types for one node type. */
export function connectionType<T extends object>(
  name: string,
  node: ClassType<T>,
): ClassType<ConnectionShape<T>> {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field() cursor!: string;
    @Field(() => node) node!: T;
  }
  @ObjectType(`${name}Connection`)
  class Connection {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
  }
  return Connection;
}

export function toConnection<E, T>(page: Page<E>, map: (e: E) => T): ConnectionShape<T> {
  return {
    edges: page.nodes.map((n, i) => ({ cursor: page.cursors[i]!, node: map(n) })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.cursors[page.cursors.length - 1] ?? null,
    },
  };
}
