import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { ordersPlugin } from './plugin.ts';
import { insertCustomer, insertOrder, insertProduct, insertWarehouse } from './test-fixtures.ts';

let database: TestDatabase;
let t: TestApp;
let admin: { authorization: string };
const base = '/api/v1/orders';

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp(ordersPlugin, base, { db: database.db });
  admin = await t.as('admin');
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

type Headers = { authorization: string };
type Page<T> = { items: T[]; nextCursor: string | null };
interface Item { id: string; productId: string; sku: string; qty: number; unitPriceMinor: number; lineTotalMinor: number; customerId: string; agentId: string | null; warehouseId: string | null }
interface OrderDetail { id: string; number: string; status: string; source: string; customerId: string; agentId: string | null; territoryId: string | null; warehouseId: string | null; currency: string; subtotalMinor: number; totalMinor: number; version: number; items: Item[] }

const place = (headers: Headers, payload: object) => t.app.inject({ method: 'POST', url: base, headers, payload });
const get = (url: string, headers?: Headers) => t.app.inject({ url: `${base}${url}`, ...(headers ? { headers } : {}) });

async function counts(): Promise<{ orders: number; items: number }> {
  const { rows } = await database.db.query<{ orders: number; items: number }>(
    'select (select count(*)::int from orders.orders) as orders, (select count(*)::int from orders.order_items) as items',
  );
  return rows[0]!;
}

async function agentIn(territoryID: string) {
  const agentID = randomUUID();
  return { agentID, headers: await t.as('agent', { agent_id: agentID, territory_id: territoryID }) };
}

describe('placing orders', () => {
  test('an agent places an order priced from the catalogue, with totals and scope columns set by the server', async () => {
    const territory = randomUUID();
    const customer = await insertCustomer(database.db, { territoryID: territory });
    const warehouse = await insertWarehouse(database.db);
    const tea = await insertProduct(database.db, { priceMinor: 1250 });
    const rice = await insertProduct(database.db, { priceMinor: 399 });
    const { agentID, headers } = await agentIn(territory);

    const response = await place(headers, {
      customerId: customer,
      warehouseId: warehouse,
      note: 'leave at the back door',
      items: [{ productId: tea, qty: 3 }, { productId: rice, qty: 10 }],
    });
    expect(response.statusCode, response.body).toBe(201);
    const order = response.json<OrderDetail>();
    expect(order).toMatchObject({
      status: 'placed',
      source: 'agent',
      customerId: customer,
      agentId: agentID,
      territoryId: territory,
      warehouseId: warehouse,
      currency: 'USD',
      subtotalMinor: 7740,
      taxMinor: 0,
      totalMinor: 7740,
      note: 'leave at the back door',
      version: 1,
    });
    expect(order.number).toMatch(/^SO-\d{6}$/);
    expect(order.items.map((item) => [item.productId, item.qty, item.unitPriceMinor, item.lineTotalMinor])).toEqual([
      [tea, 3, 1250, 3750],
      [rice, 10, 399, 3990],
    ]);
    expect(order.items.every((item) => item.customerId === customer && item.agentId === agentID && item.warehouseId === warehouse)).toBe(true);
    expect(order.items[0]!.sku).toMatch(/^SKU-/);

    const read = await get(`/${order.id}`, headers);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(order);
  });

  test('a shopper places an order only for themselves, as a storefront order in their territory', async () => {
    const territory = randomUUID();
    const customer = await insertCustomer(database.db, { territoryID: territory });
    const product = await insertProduct(database.db, { priceMinor: 500 });
    const shopper = await t.as('customer', { customer_id: customer });

    const own = await place(shopper, { customerId: customer, items: [{ productId: product, qty: 2 }] });
    expect(own.statusCode, own.body).toBe(201);
    expect(own.json()).toMatchObject({ source: 'storefront', agentId: null, territoryId: territory, warehouseId: null, totalMinor: 1000 });

    const before = await counts();
    const forSomeoneElse = await place(shopper, { customerId: await insertCustomer(database.db), items: [{ productId: product, qty: 1 }] });
    expect(forSomeoneElse.statusCode).toBe(403);
    expect(forSomeoneElse.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect(await counts()).toEqual(before);
  });

  test('only an admin may set a unit price; the catalogue price applies to everyone else', async () => {
    const territory = randomUUID();
    const customer = await insertCustomer(database.db, { territoryID: territory });
    const product = await insertProduct(database.db, { priceMinor: 1000 });
    const discounted = await place(admin, { customerId: customer, items: [{ productId: product, qty: 4, unitPriceMinor: 750 }] });
    expect(discounted.statusCode).toBe(201);
    expect(discounted.json()).toMatchObject({ source: 'admin', agentId: null, totalMinor: 3000, items: [{ unitPriceMinor: 750, lineTotalMinor: 3000 }] });

    const before = await counts();
    const { headers } = await agentIn(territory);
    const agent = await place(headers, { customerId: customer, items: [{ productId: product, qty: 4, unitPriceMinor: 1 }] });
    expect(agent.statusCode).toBe(403);
    expect(await counts()).toEqual(before);
  });

  test('an agent may not place orders for customers outside their territory', async () => {
    const customer = await insertCustomer(database.db, { territoryID: randomUUID() });
    const product = await insertProduct(database.db);
    const before = await counts();
    const { headers } = await agentIn(randomUUID());
    const response = await place(headers, { customerId: customer, items: [{ productId: product, qty: 1 }] });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN', message: 'This customer is outside your territory' });
    const unassigned = await place(await t.as('agent'), { customerId: customer, items: [{ productId: product, qty: 1 }] });
    expect(unassigned.statusCode).toBe(403);
    expect(await counts()).toEqual(before);
  });

  test('pickers may not place orders, and a request without a token is a 401', async () => {
    const customer = await insertCustomer(database.db);
    const product = await insertProduct(database.db);
    const payload = { customerId: customer, items: [{ productId: product, qty: 1 }] };
    expect((await place(await t.as('warehouse', { warehouse_id: randomUUID() }), payload)).statusCode).toBe(403);
    const anonymous = await t.app.inject({ method: 'POST', url: base, payload });
    expect(anonymous.statusCode).toBe(401);
  });

  test('unknown or unsellable references are 400s naming what is wrong, and write nothing', async () => {
    const customer = await insertCustomer(database.db, { currency: 'USD' });
    const product = await insertProduct(database.db);
    const missingProduct = randomUUID();
    const retired = await insertProduct(database.db, { active: false });
    const euro = await insertProduct(database.db, { currency: 'EUR' });
    const before = await counts();

    const unknownCustomer = await place(admin, { customerId: randomUUID(), items: [{ productId: product, qty: 1 }] });
    expect(unknownCustomer.statusCode).toBe(400);
    expect(unknownCustomer.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/customerId' }] });

    const unknownProduct = await place(admin, { customerId: customer, items: [{ productId: product, qty: 1 }, { productId: missingProduct, qty: 1 }] });
    expect(unknownProduct.statusCode).toBe(400);
    expect(unknownProduct.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/items/1/productId', productId: missingProduct }] });

    const offSale = await place(admin, { customerId: customer, items: [{ productId: retired, qty: 1 }] });
    expect(offSale.statusCode).toBe(400);
    expect(offSale.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ productId: retired, message: 'is not on sale' }] });

    const wrongCurrency = await place(admin, { customerId: customer, items: [{ productId: euro, qty: 1 }] });
    expect(wrongCurrency.statusCode).toBe(400);
    expect(wrongCurrency.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ productId: euro, message: 'is priced in EUR; the customer pays in USD' }] });

    const unknownWarehouse = await place(admin, { customerId: customer, warehouseId: randomUUID(), items: [{ productId: product, qty: 1 }] });
    expect(unknownWarehouse.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/warehouseId' }] });

    const inactiveCustomer = await place(admin, { customerId: await insertCustomer(database.db, { active: false }), items: [{ productId: product, qty: 1 }] });
    expect(inactiveCustomer.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/customerId' }] });
    expect(await counts()).toEqual(before);
  });

  test('malformed orders are 400s', async () => {
    const customer = await insertCustomer(database.db);
    const product = await insertProduct(database.db);
    const item = { productId: product, qty: 1 };
    const itemID = randomUUID();
    const cases: object[] = [
      { customerId: customer, items: [] },
      { customerId: customer, items: Array.from({ length: 201 }, () => item) },
      { customerId: customer, items: [{ productId: product, qty: 0 }] },
      { customerId: customer, items: [{ productId: product, qty: 100_001 }] },
      { customerId: customer, items: [{ productId: product, qty: 1, discount: 5 }] },
      { customerId: 'someone', items: [item] },
      { customerId: customer, items: [item], status: 'delivered' },
      { customerId: customer, items: [{ ...item, id: itemID }, { ...item, id: itemID }] },
    ];
    const before = await counts();
    for (const payload of cases) {
      const response = await place(admin, payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 200)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await counts()).toEqual(before);
  });

  test('a replayed order id is a 409 DUPLICATE, even when sent twice at once, and leaves one order', async () => {
    const customer = await insertCustomer(database.db);
    const product = await insertProduct(database.db, { priceMinor: 100 });
    const payload = { id: randomUUID(), customerId: customer, items: [{ id: randomUUID(), productId: product, qty: 5 }] };
    const before = await counts();
    const [first, second] = await Promise.all([place(admin, payload), place(admin, payload)]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([201, 409]);
    const replay = await place(admin, { ...payload, items: [{ productId: product, qty: 9 }] });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'orders_pkey' } });
    expect(await counts()).toEqual({ orders: before.orders + 1, items: before.items + 1 });
    expect((await get(`/${payload.id}`, admin)).json()).toMatchObject({ totalMinor: 500, items: [{ id: payload.items[0]!.id, qty: 5 }] });
  });
});

describe('reading orders', () => {
  test('each role sees only the orders its token scopes it to', async () => {
    const customerA = await insertCustomer(database.db);
    const customerB = await insertCustomer(database.db);
    const agentA = randomUUID();
    const warehouse = await insertWarehouse(database.db);
    const a1 = await insertOrder(database.db, { customerID: customerA, agentID: agentA, warehouseID: warehouse });
    const a2 = await insertOrder(database.db, { customerID: customerA, status: 'confirmed' });
    const b1 = await insertOrder(database.db, { customerID: customerB, agentID: randomUUID(), warehouseID: warehouse });
    const idsOf = async (url: string, headers: Headers) => (await get(url, headers)).json<Page<{ id: string }>>().items.map((item) => item.id).sort();

    expect(await idsOf(`?customerId=${customerA}`, admin)).toEqual([a1, a2].sort());
    expect(await idsOf(`?customerId=${customerA}&status=confirmed`, admin)).toEqual([a2]);
    expect(await idsOf('', await t.as('agent', { agent_id: agentA, territory_id: randomUUID() }))).toEqual([a1]);
    expect(await idsOf('', await t.as('customer', { customer_id: customerA }))).toEqual([a1, a2].sort());
    expect(await idsOf('', await t.as('warehouse', { warehouse_id: warehouse }))).toEqual([a1, b1].sort());

    const shopperA = await t.as('customer', { customer_id: customerA });
    expect((await get(`/${b1}`, shopperA)).statusCode).toBe(404);
    expect((await get(`/${a1}`, shopperA)).json<OrderDetail>().items).toHaveLength(1);
    expect(await idsOf(`?customerId=${customerB}`, shopperA)).toEqual([]);
    for (const role of ['agent', 'customer', 'warehouse'] as const) {
      expect((await get('', await t.as(role))).statusCode).toBe(403);
    }
  });

  test('bad list filters are 400s and no token is a 401', async () => {
    expect((await get('?status=lost', admin)).statusCode).toBe(400);
    expect((await get('?agentId=nope', admin)).statusCode).toBe(400);
    expect((await get('/not-a-uuid', admin)).statusCode).toBe(400);
    expect((await get(`/${randomUUID()}`, admin)).statusCode).toBe(404);
    expect((await get('')).statusCode).toBe(401);
  });
});
