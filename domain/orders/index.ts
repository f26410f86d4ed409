export { ordersPlugin } from './plugin.ts';
export { adminTransitions, ownerCancellable, planOrderPatch, priceOrder } from './order-rules.ts';
