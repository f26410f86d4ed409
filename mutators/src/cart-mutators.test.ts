import { expect, test } from 'vitest';
import type { Actor } from './define-mutator.ts';
import { MemoryTx, type TableState } from './memory-tx.ts';
import type { Row } from './mutation-tx.ts';
import { runMutation } from './run-mutation.ts';

const customerID = '00000000-0000-4000-8000-00000000c001';
const productID = '00000000-0000-4000-8000-00000000a001';
const variantID = '00000000-0000-4000-8000-00000000b001';
const shopper: Actor = { sub: 'u', role: 'customer', warehouse_id: null, territory_id: null, agent_id: null, customer_id: customerID };

let sequence = 0;
async function run(state: TableState, name: string, args: unknown): Promise<TableState> {
  const tx = new MemoryTx(state, 'server');
  await runMutation(name, args, { tx, actor: shopper, clientID: 'c', mutationID: ++sequence, now: '2026-11-24T10:00:00.000Z', newID: () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}` });
  return tx.commit();
}

test('checkout turns the cart into an order at the variant price, keeping the variant, and empties the cart', async () => {
  let state: TableState = new Map<string, Map<string, Row>>([
    ['customers.customers', new Map([[customerID, { id: customerID, name: 'Me', territory_id: null, active: true }]])],
    ['catalog.products', new Map([[productID, { id: productID, sku: 'TEE', name: 'Tee', price_minor: 1000, currency: 'USD', active: true }]])],
    ['catalog.variants', new Map([[variantID, { id: variantID, product_id: productID, sku: 'TEE-XL', price_minor: 1200, active: true }]])],
  ]);
  state = await run(state, 'cart.add', { itemID: '00000000-0000-4000-8000-00000000e001', productID, variantID, qty: 2 });
  state = await run(state, 'cart.add', { itemID: '00000000-0000-4000-8000-00000000e002', productID, variantID, qty: 1 }); // same line: quantities add up
  state = await run(state, 'cart.checkout', { orderID: '00000000-0000-4000-8000-00000000d001', occurredAt: '2026-11-24T09:59:00.000Z' });
  const items = [...state.get('orders.order_items')!.values()];
  expect(items.map((item) => ({ variant: item.variant_id, sku: item.sku, qty: item.qty, price: item.unit_price_minor }))).toEqual([{ variant: variantID, sku: 'TEE-XL', qty: 3, price: 1200 }]);
  expect(state.get('orders.orders')!.get('00000000-0000-4000-8000-00000000d001')!.total_minor).toBe(3600);
  expect(state.get('orders.cart_items')!.size).toBe(0);
});

test('a cart item whose id is already an order line still checks out, under a new line id', async () => {
  const pastOrder = '00000000-0000-4000-8000-00000000d010';
  const reused = '00000000-0000-4000-8000-00000000e010';
  let state: TableState = new Map<string, Map<string, Row>>([
    ['customers.customers', new Map([[customerID, { id: customerID, name: 'Me', territory_id: null, active: true }]])],
    ['catalog.products', new Map([[productID, { id: productID, sku: 'TEE', name: 'Tee', price_minor: 1000, currency: 'USD', active: true }]])],
    ['orders.order_items', new Map([[reused, { id: reused, order_id: pastOrder, customer_id: customerID, product_id: productID, qty: 1 }]])],
  ]);
  state = await run(state, 'cart.add', { itemID: reused, productID, qty: 2 });
  const orderID = '00000000-0000-4000-8000-00000000d011';
  state = await run(state, 'cart.checkout', { orderID, occurredAt: '2026-11-24T09:59:00.000Z' });
  const lines = [...state.get('orders.order_items')!.values()].filter((line) => line.order_id === orderID);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.id).not.toBe(reused);
  expect(lines[0]!.qty).toBe(2);
  expect(state.get('orders.order_items')!.get(reused)!.order_id).toBe(pastOrder);
  expect(state.get('orders.cart_items')!.size).toBe(0);
});
