export { loadOrCreateSecret } from './service';
