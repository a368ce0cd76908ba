export * from './entities';
export { CustomersService, customerExists } from './service';
export type { CreateCustomerInput, UpdateCustomerInput } from './service';
export { customerIdsBySubject } from './reads';
