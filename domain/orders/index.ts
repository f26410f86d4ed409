export { ordersPlugin } from './plugin.ts';
