export { customersPlugin } from './plugin.ts';
export { findCustomerScope, type CustomerScope } from './customer-lookup.ts';
