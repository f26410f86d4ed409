/**
 * Replicache pull on the embedded engine (PGlite, the log filled by triggers): the storefront's
 * shopper gets their view. PGlite types parameters as the statement infers them, so the role
 * rules' bool filter (`active = t`) must bind as node-pg's text does.
 */
import { randomUUID } from 'node:crypto';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { capturedPglite, startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';
import { addCustomer, cartAdd, pull, push, ReplicaModel, seedShop } from './pull-test-kit.ts';

let db: PgliteExecutor;
let server: ShapeServer;
let shop: Awaited<ReturnType<typeof seedShop>>;

beforeAll(async () => {
  db = await capturedPglite();
  shop = await seedShop(db);
  server = await startShapeServer(db);
}, 60_000);
afterAll(async () => {
  await server.close();
  await db.close();
});

test("a shopper's first pull on PGlite is clear plus the active catalog and their own cart, then a patch of what they push", async () => {
  const customerID = await addCustomer(db, shop.territoryID);
  const token = await server.token('customer', { customer_id: customerID, sub: randomUUID() });
  const [group, client, item] = [randomUUID(), randomUUID(), randomUUID()];
  const replica = new ReplicaModel();
  const first = await pull(server, token, group, null);
  expect(first.patch[0]).toEqual({ op: 'clear' });
  replica.apply(first);
  expect(replica.keys('catalog.products/')).toEqual([`catalog.products/${shop.products.coffee}`, `catalog.products/${shop.products.tea}`].sort());

  await push(server, token, group, [cartAdd(client, 1, shop.products.tea, item, 2)]);
  const second = await pull(server, token, group, replica.cookie);
  expect(second.lastMutationIDChanges).toEqual({ [client]: 1 });
  replica.apply(second);
  expect(Object.values(replica.table('orders.cart_items'))).toEqual([expect.objectContaining({ id: item, customer_id: customerID, qty: 2 })]);
});

test("a shopper sees their own customer row, through pull and through a shape, without the business's notes on them", async () => {
  const customerID = await addCustomer(db, shop.territoryID);
  await db.query(`update customers.customers set notes = 'pays late' where id = $1`, [customerID]);
  const token = await server.token('customer', { customer_id: customerID, sub: randomUUID() });
  const replica = new ReplicaModel();
  replica.apply(await pull(server, token, randomUUID(), null));
  const mine = replica.table('customers.customers')[`customers.customers/${customerID}`];
  expect(mine).toMatchObject({ id: customerID, name: 'Shopper' });
  expect(mine).not.toHaveProperty('notes');
  expect(mine).not.toHaveProperty('created_by');

  const headers = { Authorization: `Bearer ${token}` };
  const shape = await fetch(`${server.shapeUrl}?table=customers.customers&offset=-1`, { headers });
  const rows = ((await shape.json()) as { value?: Record<string, unknown> }[]).flatMap((message) => (message.value ? [message.value] : []));
  expect(rows).toHaveLength(1);
  expect(rows[0]).not.toHaveProperty('notes');
  expect((await fetch(`${server.shapeUrl}?table=customers.customers&offset=-1&columns=id,notes`, { headers })).status).toBe(403);
});
