/** A shopper's cart: one per customer, lines unique per product and variant, checkout places an order. */
import { Timestamp, Uuid } from '@niaga/protocol';
import { Type } from 'typebox';
import { defineMutator, type Actor, type MutatorContext } from './define-mutator.ts';
import { num, requireRow } from './guards.ts';
import type { Row } from './mutation-tx.ts';
import { placeOrderFor } from './order-mutators.ts';
import { reject } from './outcome.ts';

function shopper(actor: Actor): string {
  if (actor.role !== 'customer' || !actor.customer_id) return reject('FORBIDDEN', 'Only shoppers have a cart');
  return actor.customer_id;
}

/** The shopper's cart, locked (created first if asked and missing): devices changing it at once are serialized. */
async function cartOf(ctx: MutatorContext, customerID: string, create: boolean): Promise<Row | undefined> {
  const [cart] = await ctx.tx.list('orders.carts', { customer_id: customerID }, { lock: true });
  if (cart || !create) return cart;
  const created = { id: ctx.newID(), customer_id: customerID, created_at: ctx.now, updated_at: ctx.now };
  await ctx.tx.insert('orders.carts', created, { ifAbsent: true }); // another device may create it at the same moment
  const [locked] = await ctx.tx.list('orders.carts', { customer_id: customerID }, { lock: true });
  return locked ?? created;
}

export const addToCartArgs = Type.Object(
  { itemID: Uuid, productID: Uuid, variantID: Type.Optional(Uuid), qty: Type.Integer({ minimum: 1, maximum: 999 }) },
  { additionalProperties: false },
);

export const addToCart = defineMutator('cart.add', addToCartArgs, async (ctx, args) => {
  const customerID = shopper(ctx.actor);
  const product = await requireRow(ctx.tx, 'catalog.products', args.productID, 'Product');
  if (product.active === false) reject('INVALID_STATE', `${String(product.name)} is no longer sold`);
  const cart = (await cartOf(ctx, customerID, true))!;
  const items = await ctx.tx.list('orders.cart_items', { cart_id: cart.id, product_id: args.productID });
  const same = items.find((item) => (item.variant_id ?? null) === (args.variantID ?? null));
  if (same) {
    await ctx.tx.update('orders.cart_items', String(same.id), { qty: Math.min(999, num(same.qty) + args.qty), updated_at: ctx.now });
    return;
  }
  await ctx.tx.insert('orders.cart_items', {
    id: args.itemID,
    cart_id: cart.id,
    customer_id: customerID,
    product_id: args.productID,
    variant_id: args.variantID ?? null,
    qty: args.qty,
    created_at: ctx.now,
    updated_at: ctx.now,
  });
});

export const removeFromCartArgs = Type.Object({ itemID: Uuid }, { additionalProperties: false });

export const removeFromCart = defineMutator('cart.remove', removeFromCartArgs, async (ctx, args) => {
  const customerID = shopper(ctx.actor);
  await cartOf(ctx, customerID, false);
  const item = await ctx.tx.get('orders.cart_items', args.itemID);
  // Removing what is already gone is not an error: two tabs may both remove it.
  if (!item || item.customer_id !== customerID) return;
  await ctx.tx.delete('orders.cart_items', args.itemID);
});

export const checkoutArgs = Type.Object(
  { orderID: Uuid, note: Type.Optional(Type.String({ maxLength: 2000 })), occurredAt: Timestamp },
  { additionalProperties: false },
);

export const checkout = defineMutator('cart.checkout', checkoutArgs, async (ctx, args) => {
  const customerID = shopper(ctx.actor);
  const cart = await cartOf(ctx, customerID, false);
  const items = cart ? await ctx.tx.list('orders.cart_items', { cart_id: cart.id }) : [];
  if (items.length === 0) reject('INVALID_STATE', 'The cart is empty');
  items.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || String(a.id).localeCompare(String(b.id)));
  // The cart item's id names the order line, unless an order line has it already (an item id the
  // device reused): then the line takes a new id, or the cart could never be checked out.
  const taken = new Set((await ctx.tx.list('orders.order_items', { id: items.map((item) => String(item.id)) })).map((line) => String(line.id)));
  const lines = [];
  for (const item of items) {
    const product = await requireRow(ctx.tx, 'catalog.products', String(item.product_id), 'Product');
    const variantID = typeof item.variant_id === 'string' ? item.variant_id : undefined;
    const variant = variantID ? await ctx.tx.get('catalog.variants', variantID) : undefined;
    lines.push({
      lineID: taken.has(String(item.id)) ? ctx.newID() : String(item.id),
      productID: String(item.product_id),
      ...(variantID ? { variantID } : {}),
      qty: num(item.qty),
      unitPrice: num(variant?.price_minor ?? product.price_minor),
    });
  }
  const outcome = await placeOrderFor(ctx, { orderID: args.orderID, customerID, lines, occurredAt: args.occurredAt, ...(args.note === undefined ? {} : { note: args.note }) });
  for (const item of items) await ctx.tx.delete('orders.cart_items', String(item.id));
  return outcome;
});
