import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { customersPlugin } from './plugin.ts';

type Headers = { authorization: string };
type Address = { id: string; customerId: string; territoryId: string | null; isDefault: boolean; line1: string };

let database: TestDatabase;
let t: TestApp;
let admin: Headers;
let agentA: Headers;
let agentB: Headers;
let shopper: Headers;

const territoryA = randomUUID();
const territoryB = randomUUID();
const customerA = randomUUID(); // the shopper, in territory A
const customerB = randomUUID();
const url = '/api/v1/customers/addresses';

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into agents.territories (id, code, name) values ($1, 'TA', 'A'), ($2, 'TB', 'B')`, [territoryA, territoryB]);
  await database.db.query(`insert into customers.customers (id, name, territory_id) values ($1, 'In A', $3), ($2, 'In B', $4)`, [
    customerA,
    customerB,
    territoryA,
    territoryB,
  ]);
  t = await buildTestApp(customersPlugin, '/api/v1/customers', { db: database.db });
  admin = await t.as('admin');
  agentA = await t.as('agent', { territory_id: territoryA, agent_id: randomUUID() });
  agentB = await t.as('agent', { territory_id: territoryB, agent_id: randomUUID() });
  shopper = await t.as('customer', { customer_id: customerA });
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

const address = (customerId: string, extra: Record<string, unknown> = {}) => ({ customerId, line1: 'Jl. Merdeka 1', city: 'Bandung', country: 'ID', ...extra });

async function add(headers: Headers, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url, headers, payload });
}

async function addOK(headers: Headers, payload: Record<string, unknown>): Promise<Address> {
  const response = await add(headers, payload);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Address>();
}

async function defaultsOf(customerID: string): Promise<string[]> {
  const { rows } = await database.db.query<{ id: string }>('select id from customers.addresses where customer_id = $1 and is_default order by id', [customerID]);
  return rows.map((row) => row.id);
}

describe('addresses', () => {
  test('the flat /addresses path is not taken for a customer id', async () => {
    const response = await t.app.inject({ url, headers: admin });
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json<{ items: unknown; nextCursor: unknown }>();
    expect(Array.isArray(page.items)).toBe(true);
    expect(page.nextCursor).toBeNull();
  });

  test("an agent adds an address to a customer of their territory, and the address takes the customer's territory", async () => {
    const created = await addOK(agentA, address(customerA, { label: 'Shop', latitude: -6.9, longitude: 107.6 }));
    expect(created).toMatchObject({ customerId: customerA, territoryId: territoryA, label: 'Shop', latitude: -6.9, isDefault: false });
    const { rows } = await database.db.query('select territory_id from customers.addresses where id = $1', [created.id]);
    expect(rows).toEqual([{ territory_id: territoryA }]);
  });

  test('a client may not choose the territory of an address', async () => {
    const response = await add(admin, address(customerA, { territoryId: territoryB }));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  test("an agent can neither add to, see, change nor delete another territory's addresses", async () => {
    const foreign = await addOK(admin, address(customerB, { line1: 'Foreign 1' }));
    const refused = await add(agentA, address(customerB));
    expect(refused.statusCode).toBe(403);
    // An unknown customer looks the same to an agent as another territory's.
    expect((await add(agentA, address(randomUUID()))).statusCode).toBe(403);

    const listed = (await t.app.inject({ url, headers: agentA })).json<{ items: Address[] }>().items;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((item) => item.territoryId === territoryA)).toBe(true);
    expect((await t.app.inject({ url: `${url}/${foreign.id}`, headers: agentA })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/${foreign.id}`, headers: agentA, payload: { city: 'X' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${foreign.id}`, headers: agentA })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `${url}/${foreign.id}`, headers: agentB })).statusCode).toBe(200);
    const { rows } = await database.db.query('select city from customers.addresses where id = $1', [foreign.id]);
    expect(rows).toEqual([{ city: 'Bandung' }]);
  });

  test('a customer manages their own addresses and only those', async () => {
    const own = await addOK(shopper, address(customerA, { line1: 'Home 1' }));
    expect(own.territoryId).toBe(territoryA);
    expect((await add(shopper, address(customerB))).statusCode).toBe(403);

    const listed = (await t.app.inject({ url, headers: shopper })).json<{ items: Address[] }>().items;
    expect(listed.every((item) => item.customerId === customerA)).toBe(true);
    const filtered = (await t.app.inject({ url: `${url}?customerId=${customerB}`, headers: shopper })).json<{ items: Address[] }>().items;
    expect(filtered).toEqual([]);

    const patched = await t.app.inject({ method: 'PATCH', url: `${url}/${own.id}`, headers: shopper, payload: { line2: 'Unit 4', postalCode: '40111' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ line2: 'Unit 4', postalCode: '40111', territoryId: territoryA });
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${own.id}`, headers: shopper })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `${url}/${own.id}`, headers: admin })).statusCode).toBe(404);
  });

  test('the warehouse role and a token without scope are refused', async () => {
    const warehouse = await t.as('warehouse', { warehouse_id: randomUUID() });
    expect((await t.app.inject({ url, headers: warehouse })).statusCode).toBe(403);
    expect((await add(warehouse, address(customerA))).statusCode).toBe(403);
    const agentWithoutTerritory = await t.as('agent', { agent_id: randomUUID() });
    expect((await t.app.inject({ url, headers: agentWithoutTerritory })).statusCode).toBe(403);
    expect((await add(agentWithoutTerritory, address(customerA))).statusCode).toBe(403);
    expect((await t.app.inject({ url })).statusCode).toBe(401);
  });

  test('a new default address replaces the previous default, on create and on PATCH', async () => {
    const customer = randomUUID();
    await database.db.query('insert into customers.customers (id, name, territory_id) values ($1, $2, $3)', [customer, 'Defaults', territoryA]);
    const first = await addOK(agentA, address(customer, { isDefault: true }));
    const second = await addOK(agentA, address(customer, { isDefault: true, line1: 'Second' }));
    expect(await defaultsOf(customer)).toEqual([second.id]);

    const back = await t.app.inject({ method: 'PATCH', url: `${url}/${first.id}`, headers: agentA, payload: { isDefault: true } });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ isDefault: true });
    expect(await defaultsOf(customer)).toEqual([first.id]);

    const again = await t.app.inject({ method: 'PATCH', url: `${url}/${first.id}`, headers: agentA, payload: { isDefault: true, label: 'Main' } });
    expect(again.statusCode).toBe(200);
    expect(await defaultsOf(customer)).toEqual([first.id]);
    // Other customers' defaults are untouched.
    const elsewhere = await addOK(admin, address(customerB, { isDefault: true }));
    expect(await defaultsOf(customerB)).toEqual([elsewhere.id]);
    expect(await defaultsOf(customer)).toEqual([first.id]);
  });

  test('a failed create does not leave the previous default cleared', async () => {
    const customer = randomUUID();
    await database.db.query('insert into customers.customers (id, name, territory_id) values ($1, $2, $3)', [customer, 'Rollback', territoryA]);
    const current = await addOK(admin, address(customer, { isDefault: true }));
    const other = await addOK(admin, address(customer, { line1: 'Other' }));
    // A replay of `other` asking to be default: the default is cleared, then the insert fails.
    const replay = await add(admin, address(customer, { id: other.id, isDefault: true }));
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ code: 'DUPLICATE' });
    expect(await defaultsOf(customer)).toEqual([current.id]);
  });

  test("changing a customer's territory moves their addresses in the same request", async () => {
    const customer = randomUUID();
    await database.db.query('insert into customers.customers (id, name, territory_id) values ($1, $2, $3)', [customer, 'Mover', territoryA]);
    const one = await addOK(agentA, address(customer));
    const two = await addOK(agentA, address(customer, { line1: 'Two' }));

    const moved = await t.app.inject({ method: 'PATCH', url: `/api/v1/customers/${customer}`, headers: admin, payload: { territoryId: territoryB } });
    expect(moved.statusCode, moved.body).toBe(200);
    const { rows } = await database.db.query('select territory_id from customers.addresses where customer_id = $1', [customer]);
    expect(rows).toEqual([{ territory_id: territoryB }, { territory_id: territoryB }]);
    expect((await t.app.inject({ url: `${url}/${one.id}`, headers: agentA })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `${url}/${two.id}`, headers: agentB })).json()).toMatchObject({ territoryId: territoryB });

    // Unassigned customers have unassigned addresses.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/customers/${customer}`, headers: admin, payload: { territoryId: null } });
    const cleared = await database.db.query('select distinct territory_id from customers.addresses where customer_id = $1', [customer]);
    expect(cleared.rows).toEqual([{ territory_id: null }]);
  });

  test('invalid addresses are a 400 and an unknown customer a 400 REFERENCE_NOT_FOUND for admins', async () => {
    const bad = await add(admin, { customerId: customerA, city: '', country: 'Indonesia', latitude: 200 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ details: unknown[] }>().details.length).toBeGreaterThanOrEqual(4);
    const unknown = await add(admin, address(randomUUID()));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    const existing = await addOK(admin, address(customerA));
    const move = await t.app.inject({ method: 'PATCH', url: `${url}/${existing.id}`, headers: admin, payload: { customerId: customerB } });
    expect(move.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/${existing.id}`, headers: admin, payload: {} })).statusCode).toBe(400);
  });
});
