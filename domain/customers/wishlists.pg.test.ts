import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { customersPlugin } from './plugin.ts';

type Headers = { authorization: string };
type Item = { id: string; customerId: string; productId: string };

let database: TestDatabase;
let t: TestApp;
let admin: Headers;
let shopper: Headers;
let otherShopper: Headers;

const shopperID = randomUUID();
const otherID = randomUUID();
const tea = randomUUID();
const coffee = randomUUID();
const retired = randomUUID();
const url = '/api/v1/customers/wishlists';

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into customers.customers (id, name) values ($1, 'Shopper'), ($2, 'Other')`, [shopperID, otherID]);
  await database.db.query(
    `insert into catalog.products (id, sku, name, price_minor, active) values
       ($1, 'TEA', 'Tea', 500, true), ($2, 'COFFEE', 'Coffee', 700, true), ($3, 'OLD', 'Retired', 100, false)`,
    [tea, coffee, retired],
  );
  t = await buildTestApp(customersPlugin, '/api/v1/customers', { db: database.db });
  admin = await t.as('admin');
  shopper = await t.as('customer', { customer_id: shopperID });
  otherShopper = await t.as('customer', { customer_id: otherID });
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

async function add(headers: Headers, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url, headers, payload });
}

async function productsOf(headers: Headers, query = ''): Promise<string[]> {
  const response = await t.app.inject({ url: `${url}${query}`, headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: Item[] }>().items.map((item) => item.productId);
}

describe('wishlists', () => {
  test('a customer saves a product, sees it, cannot save it twice, and removes it', async () => {
    const created = await add(shopper, { customerId: shopperID, productId: tea });
    expect(created.statusCode, created.body).toBe(201);
    const item = created.json<Item>();
    expect(item).toMatchObject({ customerId: shopperID, productId: tea });
    expect(await productsOf(shopper)).toEqual([tea]);

    const duplicate = await add(shopper, { customerId: shopperID, productId: tea });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'wishlists_product_unique' } });
    const replay = await add(shopper, { id: item.id, customerId: shopperID, productId: coffee });
    expect(replay.statusCode).toBe(409);

    expect((await t.app.inject({ url: `${url}/${item.id}`, headers: shopper })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${item.id}`, headers: shopper })).statusCode).toBe(204);
    expect(await productsOf(shopper)).toEqual([]);
  });

  test("a customer can neither see, add to nor delete from another customer's wishlist", async () => {
    const theirs = (await add(otherShopper, { customerId: otherID, productId: coffee })).json<Item>();
    expect((await add(shopper, { customerId: otherID, productId: tea })).statusCode).toBe(403);
    expect(await productsOf(shopper, `?customerId=${otherID}`)).toEqual([]);
    expect((await t.app.inject({ url: `${url}/${theirs.id}`, headers: shopper })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${theirs.id}`, headers: shopper })).statusCode).toBe(404);
    expect(await productsOf(otherShopper)).toEqual([coffee]);
  });

  test('admins see every wishlist and filter by customer; agents and warehouses are refused', async () => {
    await add(admin, { customerId: shopperID, productId: coffee });
    expect(await productsOf(admin, `?customerId=${shopperID}`)).toEqual([coffee]);
    expect((await productsOf(admin, `?productId=${coffee}`)).length).toBe(2);
    for (const role of ['agent', 'warehouse'] as const) {
      const headers = await t.as(role, { territory_id: randomUUID(), warehouse_id: randomUUID() });
      expect((await t.app.inject({ url, headers })).statusCode).toBe(403);
      expect((await add(headers, { customerId: shopperID, productId: tea })).statusCode).toBe(403);
    }
    expect((await t.app.inject({ url })).statusCode).toBe(401);
  });

  test('an unknown product, or for a shopper an inactive one, is a 400 REFERENCE_NOT_FOUND', async () => {
    for (const productId of [randomUUID(), retired]) {
      const response = await add(shopper, { customerId: shopperID, productId });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    }
    expect((await add(admin, { customerId: randomUUID(), productId: tea })).json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
  });

  test('invalid bodies are a 400 and wishlist items cannot be patched', async () => {
    const missing = await add(shopper, { customerId: shopperID });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await add(shopper, { customerId: shopperID, productId: 'tea' })).statusCode).toBe(400);
    const item = (await add(shopper, { customerId: shopperID, productId: tea })).json<Item>();
    const patch = await t.app.inject({ method: 'PATCH', url: `${url}/${item.id}`, headers: shopper, payload: { productId: coffee } });
    expect(patch.statusCode).toBe(404);
  });
});
