import { catalogEntities } from './catalog';
import { customerEntities } from './customers';
import { subscriptionEntities } from './subscriptions';

/** Every MikroORM entity, for the ORM configuration in the composition root. */
export const allEntities = [...catalogEntities, ...customerEntities, ...subscriptionEntities];
