/** Orders placed by agents (for their territory's customers), shoppers (for themselves) and admins. */
import { MoneyMinor, Timestamp, Uuid } from '@niaga/protocol';
import { Type, type Static } from 'typebox';
import { defineMutator, type MutatorContext } from './define-mutator.ts';
import { distinct, instant, num, requireRow } from './guards.ts';
import type { Row } from './mutation-tx.ts';
import { adjusted, applied, reject, type MutationOutcome } from './outcome.ts';

const OrderLine = Type.Object(
  { lineID: Uuid, productID: Uuid, variantID: Type.Optional(Uuid), qty: Type.Integer({ minimum: 1, maximum: 100_000 }), unitPrice: MoneyMinor },
  { additionalProperties: false },
);

export const placeOrderArgs = Type.Object(
  {
    orderID: Uuid,
    customerID: Uuid,
    lines: Type.Array(OrderLine, { minItems: 1, maxItems: 200 }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    /** The fulfilment warehouse, when the device knows it; otherwise the server picks one. */
    warehouseID: Type.Optional(Uuid),
    occurredAt: Timestamp,
  },
  { additionalProperties: false },
);
export type PlaceOrderArgs = Static<typeof placeOrderArgs>;

const cancellable = new Set(['placed', 'adjusted', 'confirmed', 'backordered']);

/** The shared body of order.place and cart.checkout. */
export async function placeOrderFor(ctx: MutatorContext, args: PlaceOrderArgs): Promise<MutationOutcome> {
  const { actor, tx } = ctx;
  if (actor.role === 'warehouse') reject('FORBIDDEN', 'Pickers do not place orders');
  if (actor.role === 'customer' && actor.customer_id !== args.customerID) reject('FORBIDDEN', 'You may place orders only for yourself');
  if (actor.role === 'agent' && (!actor.agent_id || !actor.territory_id)) reject('FORBIDDEN', 'Your account has no agent profile or territory; ask an admin');
  if (actor.role === 'customer' && !actor.customer_id) reject('FORBIDDEN', 'Your account has no customer profile');
  distinct(args.lines, (line) => line.lineID, 'lineID');

  const customer = await requireRow(tx, 'customers.customers', args.customerID, 'Customer');
  if (actor.role === 'agent' && customer.territory_id !== actor.territory_id) reject('FORBIDDEN', 'This customer is outside your territory');
  // Only now, once the caller may order for this customer: an id clash says nothing to others.
  // On the server the primary key refuses a reused id (INVALID_STATE) without a read first.
  if (tx.location === 'device' && (await tx.get('orders.orders', args.orderID))) reject('INVALID_STATE', `Order ${args.orderID} exists already`);
  if (customer.active === false) reject('INVALID_STATE', `Customer ${args.customerID} is not active`);
  if (args.warehouseID) await requireRow(tx, 'inventory.warehouses', args.warehouseID, 'Warehouse');

  const products: Row[] = [];
  const variants: (Row | undefined)[] = [];
  // The lines' products in one read; each line is still checked in order.
  const catalogue = new Map((await tx.list('catalog.products', { id: args.lines.map((line) => line.productID) })).map((product) => [String(product.id), product]));
  for (const line of args.lines) {
    const product = catalogue.get(line.productID) ?? reject('NOT_FOUND', `Product ${line.productID} does not exist`, { table: 'catalog.products', id: line.productID });
    if (product.active === false) reject('INVALID_STATE', `Product ${String(product.sku)} is no longer sold`, { productID: line.productID });
    const variant = line.variantID ? await requireRow(tx, 'catalog.variants', line.variantID, 'Variant') : undefined;
    if (variant && variant.product_id !== line.productID) reject('INVALID_ARGS', `Variant ${String(variant.sku)} is not a variant of ${String(product.sku)}`);
    if (variant?.active === false) reject('INVALID_STATE', `Variant ${String(variant.sku)} is no longer sold`, { variantID: line.variantID });
    products.push(product);
    variants.push(variant);
  }
  const currencies = new Set(products.map((product) => String(product.currency)));
  if (currencies.size > 1) reject('INVALID_ARGS', `An order has one currency; these lines mix ${[...currencies].join(', ')}`);
  const { lines, repriced } = await priceLines(ctx, args.lines, products, variants, args.occurredAt);
  const subtotal = lines.reduce((sum, line) => sum + line.qty * line.unitPrice, 0);

  const scope = {
    customer_id: args.customerID,
    agent_id: actor.role === 'agent' ? actor.agent_id : null,
    warehouse_id: args.warehouseID ?? null,
  };
  await tx.insert('orders.orders', {
    id: args.orderID,
    status: repriced.length > 0 ? 'adjusted' : 'placed',
    source: actor.role === 'customer' ? 'storefront' : actor.role === 'agent' ? 'agent' : 'admin',
    ...scope,
    territory_id: customer.territory_id ?? null,
    currency: [...currencies][0] ?? 'USD',
    subtotal_minor: subtotal,
    tax_minor: 0,
    total_minor: subtotal,
    note: args.note ?? '',
    status_reason: repriced.length > 0 ? 'Prices updated to the current catalogue' : '',
    occurred_at: args.occurredAt,
    placed_at: ctx.now,
    created_by: actor.sub,
    version: 1,
    created_at: ctx.now,
    updated_at: ctx.now,
  });
  for (const [index, line] of lines.entries()) {
    const product = products[index]!;
    const variant = variants[index];
    await tx.insert('orders.order_items', {
      id: line.lineID,
      order_id: args.orderID,
      ...scope,
      product_id: line.productID,
      variant_id: line.variantID ?? null,
      sku: variant?.sku ?? product.sku,
      name: product.name,
      qty: line.qty,
      unit_price_minor: line.unitPrice,
      line_total_minor: line.qty * line.unitPrice,
      allocated_qty: 0,
      picked_qty: 0,
      created_at: ctx.now,
      updated_at: ctx.now,
    });
  }
  await ctx.emit('order.created', {
    orderID: args.orderID,
    customerID: args.customerID,
    warehouseID: scope.warehouse_id,
    totalMinor: subtotal,
    lines: lines.map((line) => ({ lineID: line.lineID, productID: line.productID, qty: line.qty })),
  });
  if (repriced.length > 0) {
    return adjusted('PRICE_CHANGED', `${repriced.length} line(s) were repriced: the quoted price was not the catalogue price recently enough`, { lines: repriced });
  }
  return applied;
}

type Line = PlaceOrderArgs['lines'][number];

/**
 * The prices the order is placed at. The device's quote stands if it is the catalogue price, or
 * if it was the catalogue price (in the product's currency) when the order was taken and that was
 * within the honour window: the price changed while the agent was offline. Otherwise the server
 * charges the current price and says so. Only the server knows the price history.
 */
async function priceLines(
  ctx: MutatorContext,
  quoted: readonly Line[],
  products: readonly Row[],
  variants: readonly (Row | undefined)[],
  occurredAt: string,
): Promise<{ lines: Line[]; repriced: { lineID: string; quoted: number; charged: number }[] }> {
  const repriced: { lineID: string; quoted: number; charged: number }[] = [];
  const lines: Line[] = [];
  for (const [index, line] of quoted.entries()) {
    const product = products[index]!;
    const ownPrice = variants[index]?.price_minor;
    const current = num(ownPrice ?? product.price_minor);
    // A variant with its own price has no price history: only its current price stands.
    const historyApplies = ownPrice === null || ownPrice === undefined;
    if (ctx.tx.location === 'device' || line.unitPrice === current || (historyApplies && (await pricedWhenTaken(ctx, product, line.unitPrice, occurredAt)))) {
      lines.push(line);
      continue;
    }
    repriced.push({ lineID: line.lineID, quoted: line.unitPrice, charged: current });
    lines.push({ ...line, unitPrice: current });
  }
  return { lines, repriced };
}

/** Whether `price` was the product's catalogue price at `occurredAt`, no longer ago than the window. */
async function pricedWhenTaken(ctx: MutatorContext, product: Row, price: number, occurredAt: string): Promise<boolean> {
  const takenAt = instant(occurredAt);
  if (instant(ctx.now) - takenAt > ctx.policy.priceHonourWindowMs) return false;
  const history = await ctx.tx.list('catalog.price_history', { product_id: product.id, currency: product.currency }, { orderBy: ['effective_from', 'asc'] });
  const inEffect = history.filter((entry) => instant(entry.effective_from) <= takenAt).at(-1);
  return inEffect !== undefined && num(inEffect.price_minor) === price;
}

export const placeOrder = defineMutator('order.place', placeOrderArgs, placeOrderFor);

export const cancelOrderArgs = Type.Object({ orderID: Uuid, reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

export const cancelOrder = defineMutator('order.cancel', cancelOrderArgs, async (ctx, args) => {
  const { actor, tx } = ctx;
  if (actor.role === 'warehouse') reject('FORBIDDEN', 'Pickers do not cancel orders');
  const order = await tx.get('orders.orders', args.orderID, { lock: true });
  // Authorize before telling whether the order exists.
  // A missing claim (null) must never match a missing column value (null).
  const own =
    actor.role === 'admin' ||
    (actor.role === 'agent' && actor.agent_id !== null && order?.agent_id === actor.agent_id) ||
    (actor.role === 'customer' && actor.customer_id !== null && order?.customer_id === actor.customer_id);
  if (!order || !own) return reject('NOT_FOUND', `Order ${args.orderID} does not exist`);
  if (!cancellable.has(String(order.status))) reject('INVALID_STATE', `An order that is ${String(order.status)} cannot be cancelled`, { status: order.status });
  await tx.update('orders.orders', args.orderID, {
    status: 'cancelled',
    status_reason: args.reason,
    cancelled_at: ctx.now,
    version: num(order.version) + 1,
    updated_at: ctx.now,
  });
  await ctx.emit('order.cancelled', { orderID: args.orderID, reason: args.reason, warehouseID: order.warehouse_id ?? null });
});
