import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { customersPlugin } from './plugin.ts';

type Headers = { authorization: string };
type CustomerBody = { id: string; name: string; territoryId: string | null; [key: string]: unknown };

let database: TestDatabase;
let t: TestApp;
let admin: Headers;
let agentA: Headers;
let agentB: Headers;
let shopper: Headers;
let warehouse: Headers;

const territoryA = randomUUID();
const territoryB = randomUUID();
const agentASub = randomUUID();
const shopperID = randomUUID();
const otherID = randomUUID();
const base = '/api/v1/customers';

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into agents.territories (id, code, name) values ($1, 'TA', 'A'), ($2, 'TB', 'B')`, [territoryA, territoryB]);
  await database.db.query(
    `insert into customers.customers (id, code, name, email, territory_id, notes) values
       ($1, 'SHOP-1', 'Shopper One', 'one@example.com', $3, 'pays late'),
       ($2, 'OTHER-1', 'Other Buyer', 'other@example.com', $4, '')`,
    [shopperID, otherID, territoryA, territoryB],
  );
  t = await buildTestApp(customersPlugin, base, { db: database.db });
  admin = await t.as('admin');
  agentA = await t.as('agent', { sub: agentASub, territory_id: territoryA, agent_id: randomUUID() });
  agentB = await t.as('agent', { territory_id: territoryB, agent_id: randomUUID() });
  shopper = await t.as('customer', { customer_id: shopperID });
  warehouse = await t.as('warehouse', { warehouse_id: randomUUID() });
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

async function create(headers: Headers, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: base, headers, payload });
}

async function createOK(headers: Headers, payload: Record<string, unknown>): Promise<CustomerBody> {
  const response = await create(headers, payload);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<CustomerBody>();
}

async function names(headers: Headers, query = ''): Promise<string[]> {
  const response = await t.app.inject({ url: `${base}${query}`, headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: { name: string }[] }>().items.map((item) => item.name);
}

describe('customers', () => {
  test('an admin creates, lists, reads, patches and deletes a customer at the plugin root, and the delete takes addresses and wishlists with it', async () => {
    const created = await createOK(admin, { name: 'Lifecycle Ltd', code: 'LIFE-1', territoryId: territoryA, creditLimitMinor: 50_000 });
    expect(created).toMatchObject({ name: 'Lifecycle Ltd', code: 'LIFE-1', territoryId: territoryA, creditLimitMinor: 50_000, currency: 'USD', active: true });

    expect(await names(admin, '?q=Lifecycle')).toEqual(['Lifecycle Ltd']);
    const read = await t.app.inject({ url: `${base}/${created.id}`, headers: admin });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created);

    const patched = await t.app.inject({ method: 'PATCH', url: `${base}/${created.id}`, headers: admin, payload: { creditLimitMinor: 75_000, active: false } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ creditLimitMinor: 75_000, active: false, name: 'Lifecycle Ltd' });

    await database.db.query(`insert into customers.addresses (customer_id, line1, city, country) values ($1, '1 Road', 'Town', 'ID')`, [created.id]);
    await database.db.query('insert into customers.wishlists (customer_id, product_id) values ($1, $2)', [created.id, randomUUID()]);
    const deleted = await t.app.inject({ method: 'DELETE', url: `${base}/${created.id}`, headers: admin });
    expect(deleted.statusCode).toBe(204);
    expect((await t.app.inject({ url: `${base}/${created.id}`, headers: admin })).statusCode).toBe(404);
    const { rows } = await database.db.query(
      `select (select count(*) from customers.addresses where customer_id = $1) + (select count(*) from customers.wishlists where customer_id = $1) as left_over`,
      [created.id],
    );
    expect(rows).toEqual([{ left_over: 0 }]);
  });

  test('no token is a 401 and the warehouse role is refused customers with a 403', async () => {
    const anonymous = await t.app.inject({ url: base });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    for (const url of [base, `${base}/${shopperID}`]) {
      const response = await t.app.inject({ url, headers: warehouse });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect((await create(warehouse, { name: 'Nope' })).statusCode).toBe(403);
  });

  test('an agent sees only the customers of their own territory and cannot touch those of another', async () => {
    expect(await names(agentA)).toContain('Shopper One');
    expect(await names(agentA)).not.toContain('Other Buyer');
    expect(await names(agentB)).toEqual(expect.arrayContaining(['Other Buyer']));
    expect(await names(agentB)).not.toContain('Shopper One');

    expect((await t.app.inject({ url: `${base}/${otherID}`, headers: agentA })).statusCode).toBe(404);
    const patch = await t.app.inject({ method: 'PATCH', url: `${base}/${otherID}`, headers: agentA, payload: { name: 'Hijacked' } });
    expect(patch.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/${otherID}`, headers: agentA })).statusCode).toBe(403);
    const { rows } = await database.db.query('select name from customers.customers where id = $1', [otherID]);
    expect(rows).toEqual([{ name: 'Other Buyer' }]);
  });

  test('an agent adds a customer with a device-made id into their own territory, and a replay is a 409 with no second row', async () => {
    const id = randomUUID();
    const created = await createOK(agentA, { id, name: 'Warung Baru', phone: '+62 812-555' });
    expect(created).toMatchObject({ id, territoryId: territoryA, createdBy: agentASub });

    const replay = await create(agentA, { id, name: 'Warung Baru', phone: '+62 812-555' });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'customers_pkey' } });
    const { rows } = await database.db.query('select count(*)::int as n from customers.customers where id = $1', [id]);
    expect(rows).toEqual([{ n: 1 }]);

    const sameTerritory = await createOK(agentA, { name: 'Explicit Territory', territoryId: territoryA });
    expect(sameTerritory.territoryId).toBe(territoryA);
  });

  test('an agent may not add a customer to another territory', async () => {
    const response = await create(agentA, { name: 'Elsewhere Shop', territoryId: territoryB });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
    const { rows } = await database.db.query(`select 1 from customers.customers where name = 'Elsewhere Shop'`);
    expect(rows).toEqual([]);
  });

  test('an agent edits customers of their territory but may not move one to another territory', async () => {
    const customer = await createOK(agentA, { name: 'Toko Stay' });
    const renamed = await t.app.inject({ method: 'PATCH', url: `${base}/${customer.id}`, headers: agentA, payload: { name: 'Toko Stay Baru', territoryId: territoryA } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Toko Stay Baru', territoryId: territoryA });

    for (const territoryId of [territoryB, null]) {
      const moved = await t.app.inject({ method: 'PATCH', url: `${base}/${customer.id}`, headers: agentA, payload: { territoryId } });
      expect(moved.statusCode).toBe(403);
    }
    const { rows } = await database.db.query('select territory_id from customers.customers where id = $1', [customer.id]);
    expect(rows).toEqual([{ territory_id: territoryA }]);
  });

  test('a customer sees only their own row, without internal notes', async () => {
    expect(await names(shopper)).toEqual(['Shopper One']);
    const own = await t.app.inject({ url: `${base}/${shopperID}`, headers: shopper });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: shopperID, name: 'Shopper One' });
    expect(own.json()).not.toHaveProperty('notes');
    expect(own.json()).not.toHaveProperty('createdBy');
    expect((await t.app.inject({ url: `${base}/${shopperID}`, headers: admin })).json()).toMatchObject({ notes: 'pays late' });
    expect((await t.app.inject({ url: `${base}/${otherID}`, headers: shopper })).statusCode).toBe(404);
  });

  test('a customer may change their own name, email and phone, and nothing else', async () => {
    const ok = await t.app.inject({
      method: 'PATCH',
      url: `${base}/${shopperID}`,
      headers: shopper,
      payload: { name: 'Shopper Renamed', email: 'new@example.com', phone: '+1 (555) 010-2000' },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ name: 'Shopper Renamed', email: 'new@example.com', phone: '+1 (555) 010-2000' });

    for (const payload of [{ creditLimitMinor: 9_999_999 }, { name: 'Sneaky', active: false }, { territoryId: territoryB }, { notes: 'vip' }]) {
      const refused = await t.app.inject({ method: 'PATCH', url: `${base}/${shopperID}`, headers: shopper, payload });
      expect(refused.statusCode, JSON.stringify(payload)).toBe(403);
    }
    const other = await t.app.inject({ method: 'PATCH', url: `${base}/${otherID}`, headers: shopper, payload: { name: 'Mine now' } });
    expect(other.statusCode).toBe(404);
    expect((await create(shopper, { name: 'Self made' })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/${shopperID}`, headers: shopper })).statusCode).toBe(403);
    const { rows } = await database.db.query('select name, credit_limit_minor, active from customers.customers where id = $1', [shopperID]);
    expect(rows).toEqual([{ name: 'Shopper Renamed', credit_limit_minor: 0, active: true }]);
  });

  test('only admins delete customers', async () => {
    const customer = await createOK(agentA, { name: 'Keep Me' });
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/${customer.id}`, headers: agentA })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `${base}/${customer.id}`, headers: admin })).statusCode).toBe(200);
  });

  test('invalid bodies are a 400 listing the problems, and nothing is written', async () => {
    const bad = await create(admin, { name: '', email: 'not-an-email', code: 'lower case', creditLimitMinor: -1, colour: 'red' });
    expect(bad.statusCode).toBe(400);
    const body = bad.json<{ code: string; details: { path: string }[] }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details.length).toBeGreaterThanOrEqual(4);
    const { rows } = await database.db.query(`select 1 from customers.customers where email = 'not-an-email'`);
    expect(rows).toEqual([]);

    const empty = await t.app.inject({ method: 'PATCH', url: `${base}/${shopperID}`, headers: admin, payload: {} });
    expect(empty.statusCode).toBe(400);
    const unknownField = await t.app.inject({ method: 'PATCH', url: `${base}/${shopperID}`, headers: shopper, payload: { createdBy: randomUUID() } });
    expect(unknownField.statusCode).toBe(400);
    expect((await t.app.inject({ url: `${base}?active=maybe`, headers: admin })).statusCode).toBe(400);
    expect((await t.app.inject({ url: `${base}?territoryId=nope`, headers: admin })).statusCode).toBe(400);
  });

  test('an unknown territory is a 400 REFERENCE_NOT_FOUND and a duplicate code a 409', async () => {
    const unknown = await create(admin, { name: 'Lost', territoryId: randomUUID() });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    const patch = await t.app.inject({ method: 'PATCH', url: `${base}/${otherID}`, headers: admin, payload: { territoryId: randomUUID() } });
    expect(patch.statusCode).toBe(400);

    await createOK(admin, { name: 'First Code', code: 'DUP-CODE' });
    const duplicate = await create(admin, { name: 'Second Code', code: 'DUP-CODE' });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'customers_code_unique' } });
  });

  test('lists filter by search text, territory and active flag', async () => {
    await createOK(admin, { name: 'Filter Alpha', email: 'alpha@filter.test', territoryId: territoryA });
    await createOK(admin, { name: 'Filter Beta', phone: '555-0199', territoryId: territoryB, active: false });
    expect(await names(admin, '?q=filter.test')).toEqual(['Filter Alpha']);
    expect(await names(admin, '?q=555-0199')).toEqual(['Filter Beta']);
    expect(await names(admin, `?q=Filter&territoryId=${territoryB}`)).toEqual(['Filter Beta']);
    expect(await names(admin, '?q=Filter&active=true')).toEqual(['Filter Alpha']);
    expect(await names(agentA, '?q=Filter')).toEqual(['Filter Alpha']);
  });

  test('a malformed id is a 400 and an unknown id a 404', async () => {
    expect((await t.app.inject({ url: `${base}/nope`, headers: admin })).statusCode).toBe(400);
    const missing = await t.app.inject({ url: `${base}/${randomUUID()}`, headers: admin });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});
