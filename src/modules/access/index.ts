export {
  AccessService,
  assertAdmin,
  assertCanRead,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
} from './service';
export type { Principal } from './service';
