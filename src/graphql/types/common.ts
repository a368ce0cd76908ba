import { Field, ID, InterfaceType, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import type { Page } from '../../modules/shared';

export enum SettlementMode {
  CREDIT_ONLY = 'CREDIT_ONLY',
  CREDIT_THEN_INVOICE = 'CREDIT_THEN_INVOICE',
}
export enum PlanStatus {
  DRAFT = 'DRAFT',
  PUBLISHED = 'PUBLISHED',
  ARCHIVED = 'ARCHIVED',
}
export enum Aggregation {
  SUM = 'SUM',
  COUNT = 'COUNT',
  MAX = 'MAX',
}
export enum PriceModel {
  UNIT = 'UNIT',
  GRADUATED = 'GRADUATED',
  VOLUME = 'VOLUME',
}
export enum SubscriptionStatus {
  SCHEDULED = 'SCHEDULED',
  ACTIVE = 'ACTIVE',
  CANCELED = 'CANCELED',
  ENDED = 'ENDED',
}
registerEnumType(SettlementMode, { name: 'SettlementMode' });
registerEnumType(PlanStatus, { name: 'PlanStatus' });
registerEnumType(Aggregation, { name: 'Aggregation' });
registerEnumType(PriceModel, { name: 'PriceModel' });
registerEnumType(SubscriptionStatus, { name: 'SubscriptionStatus' });

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
