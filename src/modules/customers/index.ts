export * from './entities';
export { CustomersService } from './service';
export type { CreateCustomerInput, UpdateCustomerInput } from './service';
export { customerIdsBySubject } from './reads';
