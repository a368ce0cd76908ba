import { catalogEntities } from './catalog';
import { customerEntities } from './customers';
import { subscriptionEntities } from './subscriptions';
import { invoiceEntities } from './invoices';
import { ledgerEntities } from './ledger';
import { usageEntities } from './usage';
import { programEntities } from './programs';

/** Every MikroORM entity, for the ORM configuration in the composition root. */
export const allEntities = [
  ...catalogEntities,
  ...customerEntities,
  ...subscriptionEntities,
  ...invoiceEntities,
  ...ledgerEntities,
  ...usageEntities,
  ...programEntities,
];
