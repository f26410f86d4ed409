import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { inventoryPlugin } from './plugin.ts';
import { insertWarehouse } from './test-fixtures.ts';

let database: TestDatabase;
let t: TestApp;
let admin: { authorization: string };
const base = '/api/v1/inventory';

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp(inventoryPlugin, base, { db: database.db });
  admin = await t.as('admin');
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

type Headers = { authorization: string };
const post = (url: string, headers: Headers, payload: object) => t.app.inject({ method: 'POST', url: `${base}${url}`, headers, payload });
const patch = (url: string, headers: Headers, payload: object) => t.app.inject({ method: 'PATCH', url: `${base}${url}`, headers, payload });
const get = (url: string, headers?: Headers) => t.app.inject({ url: `${base}${url}`, ...(headers ? { headers } : {}) });

describe('warehouses', () => {
  test('an admin creates, reads and patches a warehouse, and agents and pickers can read it', async () => {
    const created = await post('/warehouses', admin, { code: 'WH-LIFE', name: 'Jakarta DC', timezone: 'Asia/Jakarta' });
    expect(created.statusCode, created.body).toBe(201);
    const warehouse = created.json<{ id: string }>();
    expect(warehouse).toMatchObject({ code: 'WH-LIFE', name: 'Jakarta DC', timezone: 'Asia/Jakarta', address: '', active: true });

    const patched = await patch(`/warehouses/${warehouse.id}`, admin, { name: 'Jakarta North', active: false });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ code: 'WH-LIFE', name: 'Jakarta North', active: false });

    for (const headers of [await t.as('agent'), await t.as('warehouse', { warehouse_id: randomUUID() })]) {
      const read = await get(`/warehouses/${warehouse.id}`, headers);
      expect(read.statusCode).toBe(200);
      expect(read.json()).toMatchObject({ id: warehouse.id, name: 'Jakarta North' });
      const list = await get('/warehouses?q=WH-LIFE', headers);
      expect(list.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([warehouse.id]);
    }
  });

  test('shoppers may not read warehouses and only admins may write them', async () => {
    const id = await insertWarehouse(database.db, 'WH-ROLES');
    const shopper = await t.as('customer', { customer_id: randomUUID() });
    expect((await get('/warehouses', shopper)).statusCode).toBe(403);
    expect((await get(`/warehouses/${id}`, shopper)).statusCode).toBe(403);
    for (const role of ['agent', 'warehouse', 'customer'] as const) {
      const headers = await t.as(role, { warehouse_id: id });
      const created = await post('/warehouses', headers, { code: `WH-${role.toUpperCase()}`, name: 'No' });
      expect(created.statusCode).toBe(403);
      expect(created.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect((await patch(`/warehouses/${id}`, headers, { name: 'Renamed' })).statusCode).toBe(403);
    }
    const { rows } = await database.db.query('select name from inventory.warehouses where id = $1', [id]);
    expect(rows).toEqual([{ name: 'Warehouse WH-ROLES' }]);
  });

  test('no token is a 401', async () => {
    const response = await get('/warehouses');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  test('an invalid warehouse is a 400 listing each problem, and nothing is written', async () => {
    const response = await post('/warehouses', admin, { code: 'bad code', name: '', colour: 'red' });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ code: string; details: { path: string }[] }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details.length).toBeGreaterThanOrEqual(3);
    const { rows } = await database.db.query(`select 1 from inventory.warehouses where code = 'bad code'`);
    expect(rows).toEqual([]);
    const empty = await patch(`/warehouses/${randomUUID()}`, admin, {});
    expect(empty.statusCode).toBe(400);
  });

  test('a duplicate code or a replayed id is a 409 and leaves one row', async () => {
    const id = randomUUID();
    expect((await post('/warehouses', admin, { id, code: 'WH-ONCE', name: 'Once' })).statusCode).toBe(201);
    const replay = await post('/warehouses', admin, { id, code: 'WH-TWICE', name: 'Twice' });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'warehouses_pkey' } });
    const sameCode = await post('/warehouses', admin, { code: 'WH-ONCE', name: 'Again' });
    expect(sameCode.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'warehouses_code_unique' } });
    const { rows } = await database.db.query(`select id from inventory.warehouses where code in ('WH-ONCE', 'WH-TWICE')`);
    expect(rows).toEqual([{ id }]);
  });
});

describe('bins', () => {
  test('a picker sees only the bins of their own warehouse, whatever the filter says', async () => {
    const mine = await insertWarehouse(database.db);
    const theirs = await insertWarehouse(database.db);
    const myBin = (await post('/bins', admin, { warehouseId: mine, code: 'A-01', zone: 'dry', sortOrder: 10 })).json<{ id: string }>();
    const theirBin = (await post('/bins', admin, { warehouseId: theirs, code: 'A-01' })).json<{ id: string }>();
    const picker = await t.as('warehouse', { warehouse_id: mine });

    const own = await get('/bins', picker);
    expect(own.statusCode).toBe(200);
    expect(own.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([myBin.id]);
    const filtered = await get(`/bins?warehouseId=${theirs}`, picker);
    expect(filtered.json<{ items: unknown[] }>().items).toEqual([]);
    expect((await get(`/bins/${theirBin.id}`, picker)).statusCode).toBe(404);
    expect((await get(`/bins/${myBin.id}`, picker)).json()).toMatchObject({ code: 'A-01', zone: 'dry', sortOrder: 10, warehouseId: mine });

    const adminView = await get(`/bins?warehouseId=${theirs}`, admin);
    expect(adminView.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toEqual([theirBin.id]);
  });

  test('agents, shoppers and pickers without a warehouse may not read bins', async () => {
    for (const headers of [await t.as('agent'), await t.as('customer'), await t.as('warehouse')]) {
      const response = await get('/bins', headers);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  test('admins patch and delete bins; pickers may not write them', async () => {
    const warehouse = await insertWarehouse(database.db);
    const bin = (await post('/bins', admin, { warehouseId: warehouse, code: 'Z-9' })).json<{ id: string }>();
    const picker = await t.as('warehouse', { warehouse_id: warehouse });
    expect((await post('/bins', picker, { warehouseId: warehouse, code: 'Z-10' })).statusCode).toBe(403);
    expect((await patch(`/bins/${bin.id}`, picker, { zone: 'cold' })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/bins/${bin.id}`, headers: picker })).statusCode).toBe(403);

    const patched = await patch(`/bins/${bin.id}`, admin, { zone: 'cold', sortOrder: 3 });
    expect(patched.json()).toMatchObject({ code: 'Z-9', zone: 'cold', sortOrder: 3 });
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/bins/${bin.id}`, headers: admin })).statusCode).toBe(204);
    expect((await get(`/bins/${bin.id}`, admin)).statusCode).toBe(404);
  });

  test('a bin in an unknown warehouse is a 400 REFERENCE_NOT_FOUND; a bin cannot move warehouse', async () => {
    const unknown = await post('/bins', admin, { warehouseId: randomUUID(), code: 'A-1' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    const bad = await post('/bins', admin, { warehouseId: 'not-a-uuid', code: ' spaces ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ details: unknown[] }>().details).toHaveLength(2);

    const warehouse = await insertWarehouse(database.db);
    const bin = (await post('/bins', admin, { warehouseId: warehouse, code: 'M-1' })).json<{ id: string }>();
    const move = await patch(`/bins/${bin.id}`, admin, { warehouseId: await insertWarehouse(database.db) });
    expect(move.statusCode).toBe(400);
    expect(move.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
