export { customersPlugin } from './plugin.ts';
