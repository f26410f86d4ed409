/** Every mutator by name: the device and the server look them up here. */
import type { Mutator } from './define-mutator.ts';
import { addToCart, checkout, removeFromCart } from './cart-mutators.ts';
import { toggleWishlist, upsertAddress, upsertCustomer } from './customer-mutators.ts';
import { cancelOrder, placeOrder } from './order-mutators.ts';
import { recordPayment } from './payment-mutators.ts';
import { confirmPick } from './pick-mutators.ts';
import { adjustStock, countStock, reviewCount } from './stock-mutators.ts';
import { createTransfer, receiveTransfer, shipTransfer } from './transfer-mutators.ts';

const all = [
  placeOrder,
  cancelOrder,
  countStock,
  reviewCount,
  adjustStock,
  createTransfer,
  shipTransfer,
  receiveTransfer,
  confirmPick,
  recordPayment,
  addToCart,
  removeFromCart,
  checkout,
  upsertCustomer,
  upsertAddress,
  toggleWishlist,
] as const;

// Each mutator's args type is checked where it is defined; the registry only needs the common shape.
export const mutators: ReadonlyMap<string, Mutator> = new Map(all.map((mutator) => [mutator.name, mutator as Mutator]));
