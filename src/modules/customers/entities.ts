import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'customer' })
export class CustomerEntity {
  @PrimaryKey({ type: 'text' }) id!: string;
  @Property({ type: 'text' }) key!: string;
  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'text', nullable: true }) email!: string | null;
  @Property({ type: 'json', nullable: true }) metadata!: Record<string, unknown> | null;
  @Property({ type: 'Date', columnType: 'timestamptz' }) createdAt: Date = new Date();
  @Property({ type: 'Date', columnType: 'timestamptz' }) updatedAt: Date = new Date();
}

@Entity({ tableName: 'customer_subject' })
export class CustomerSubjectEntity {
  @PrimaryKey({ type: 'text' }) subjectKey!: string;
  @Property({ type: 'text' }) customerId!: string;
}

export const customerEntities = [CustomerEntity, CustomerSubjectEntity];
