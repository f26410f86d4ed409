export { ordersPlugin } from './plugin.ts';
export { adminTransitions, ownerCancellable, planOrderPatch, priceOrder } from './order-rules.ts';
export { applyAllocation, type Allocation } from './order-fulfilment.ts';
