import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { inventoryPlugin } from './plugin.ts';
import { insertProduct, insertWarehouse } from './test-fixtures.ts';

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
type Page<T> = { items: T[]; nextCursor: string | null };
interface TransferLine { productId: string; quantity: number; fromWarehouseId: string; toWarehouseId: string; transferId: string }
interface TransferDetail { id: string; status: string; note: string; lines: TransferLine[] }
const post = (headers: Headers, payload: object) => t.app.inject({ method: 'POST', url: `${base}/transfers`, headers, payload });
const patch = (id: string, headers: Headers, payload: object) => t.app.inject({ method: 'PATCH', url: `${base}/transfers/${id}`, headers, payload });
const get = (url: string, headers: Headers) => t.app.inject({ url: `${base}${url}`, headers });

async function counts(): Promise<{ transfers: number; lines: number }> {
  const { rows } = await database.db.query<{ transfers: number; lines: number }>(
    'select (select count(*)::int from inventory.transfers) as transfers, (select count(*)::int from inventory.transfer_lines) as lines',
  );
  return rows[0]!;
}

async function draft(from: string, to: string, headers: Headers = admin): Promise<TransferDetail> {
  const response = await post(headers, { fromWarehouseId: from, toWarehouseId: to, lines: [{ productId: await insertProduct(database.db), quantity: 1 }] });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<TransferDetail>();
}

describe('transfers', () => {
  test('an admin creates a draft with lines in the order sent, each carrying both warehouse ids', async () => {
    const from = await insertWarehouse(database.db);
    const to = await insertWarehouse(database.db);
    const products = [await insertProduct(database.db), await insertProduct(database.db), await insertProduct(database.db)];
    const response = await post(admin, {
      fromWarehouseId: from,
      toWarehouseId: to,
      note: 'restock Bandung',
      lines: products.map((productId, index) => ({ productId, quantity: 10 * (index + 1) })),
    });
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json<TransferDetail>();
    expect(created).toMatchObject({ status: 'draft', note: 'restock Bandung', fromWarehouseId: from, toWarehouseId: to });
    expect(created.lines.map((line) => [line.productId, line.quantity])).toEqual([
      [products[0], 10],
      [products[1], 20],
      [products[2], 30],
    ]);
    expect(created.lines.every((line) => line.fromWarehouseId === from && line.toWarehouseId === to && line.transferId === created.id)).toBe(true);

    const read = await get(`/transfers/${created.id}`, admin);
    expect(read.json()).toEqual(created);
    const list = await get(`/transfers?fromWarehouseId=${from}`, admin);
    expect(list.json<Page<{ id: string }>>().items).toEqual([expect.objectContaining({ id: created.id })]);
    expect(list.json<Page<object>>().items[0]).not.toHaveProperty('lines');
  });

  test('a picker sees transfers leaving or reaching their warehouse, and no others', async () => {
    const [a, b, c] = [await insertWarehouse(database.db), await insertWarehouse(database.db), await insertWarehouse(database.db)];
    const outbound = await draft(a, b);
    const inbound = await draft(c, a);
    const unrelated = await draft(b, c);
    const picker = await t.as('warehouse', { warehouse_id: a });

    const listed = (await get('/transfers?limit=500', picker)).json<Page<{ id: string }>>().items.map((item) => item.id);
    expect(listed.sort()).toEqual([outbound.id, inbound.id].sort());
    expect((await get(`/transfers/${inbound.id}`, picker)).json<TransferDetail>().lines).toHaveLength(1);
    expect((await get(`/transfers/${unrelated.id}`, picker)).statusCode).toBe(404);
    // A filter narrows the scope, it never widens it.
    expect((await get(`/transfers?fromWarehouseId=${b}`, picker)).json<Page<{ id: string }>>().items).toEqual([]);

    for (const headers of [await t.as('agent'), await t.as('customer'), await t.as('warehouse')]) {
      expect((await get('/transfers', headers)).statusCode).toBe(403);
    }
  });

  test('pickers create transfers only out of their own warehouse; agents and shoppers not at all', async () => {
    const mine = await insertWarehouse(database.db);
    const other = await insertWarehouse(database.db);
    const picker = await t.as('warehouse', { warehouse_id: mine });
    const before = await counts();
    expect((await draft(mine, other, picker)).status).toBe('draft');
    const product = await insertProduct(database.db);
    const into = await post(picker, { fromWarehouseId: other, toWarehouseId: mine, lines: [{ productId: product, quantity: 1 }] });
    expect(into.statusCode).toBe(403);
    for (const role of ['agent', 'customer'] as const) {
      const response = await post(await t.as(role), { fromWarehouseId: mine, toWarehouseId: other, lines: [{ productId: product, quantity: 1 }] });
      expect(response.statusCode).toBe(403);
    }
    expect(await counts()).toEqual({ transfers: before.transfers + 1, lines: before.lines + 1 });
  });

  test('a draft may have its note changed and be cancelled; after that it is frozen', async () => {
    const from = await insertWarehouse(database.db);
    const to = await insertWarehouse(database.db);
    const transfer = await draft(from, to);
    const sender = await t.as('warehouse', { warehouse_id: from });
    const receiver = await t.as('warehouse', { warehouse_id: to });

    const noted = await patch(transfer.id, sender, { note: 'two pallets' });
    expect(noted.statusCode).toBe(200);
    expect(noted.json()).toMatchObject({ note: 'two pallets', status: 'draft', lines: [{ quantity: 1 }] });
    expect((await patch(transfer.id, receiver, { status: 'cancelled' })).statusCode).toBe(404);

    const cancelled = await patch(transfer.id, admin, { status: 'cancelled' });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', note: 'two pallets' });
    const frozen = await patch(transfer.id, admin, { note: 'too late' });
    expect(frozen.statusCode).toBe(409);
    expect(frozen.json()).toMatchObject({ code: 'INVALID_STATE', details: { status: 'cancelled' } });

    const shipped = await draft(from, to);
    await database.db.query(`update inventory.transfers set status = 'shipped', shipped_at = now() where id = $1`, [shipped.id]);
    expect((await patch(shipped.id, admin, { status: 'cancelled' })).json()).toMatchObject({ code: 'INVALID_STATE' });
    const { rows } = await database.db.query('select status, note from inventory.transfers where id = any($1::uuid[]) order by status', [[transfer.id, shipped.id]]);
    expect(rows).toEqual([{ status: 'cancelled', note: 'two pallets' }, { status: 'shipped', note: '' }]);
  });

  test('PATCH accepts only a note or a cancellation', async () => {
    const transfer = await draft(await insertWarehouse(database.db), await insertWarehouse(database.db));
    for (const payload of [{ status: 'shipped' }, { toWarehouseId: randomUUID() }, {}]) {
      const response = await patch(transfer.id, admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect((await patch(randomUUID(), admin, { note: 'x' })).statusCode).toBe(404);
  });

  test('invalid transfers are 400s and write nothing', async () => {
    const from = await insertWarehouse(database.db);
    const to = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    const before = await counts();
    const cases: [object, string, string?][] = [
      [{ fromWarehouseId: from, toWarehouseId: from, lines: [{ productId: product, quantity: 1 }] }, 'VALIDATION_FAILED', '/toWarehouseId'],
      [{ fromWarehouseId: from, toWarehouseId: to, lines: [{ productId: product, quantity: 1 }, { productId: product, quantity: 2 }] }, 'VALIDATION_FAILED', '/lines/1/productId'],
      [{ fromWarehouseId: from, toWarehouseId: to, lines: [{ productId: product, quantity: 0 }] }, 'VALIDATION_FAILED'],
      [{ fromWarehouseId: from, toWarehouseId: to, lines: [] }, 'VALIDATION_FAILED'],
      [{ fromWarehouseId: from, toWarehouseId: to, lines: [{ productId: randomUUID(), quantity: 1 }] }, 'REFERENCE_NOT_FOUND'],
      [{ fromWarehouseId: from, toWarehouseId: randomUUID(), lines: [{ productId: product, quantity: 1 }] }, 'REFERENCE_NOT_FOUND'],
    ];
    for (const [payload, code, path] of cases) {
      const response = await post(admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ code, ...(path ? { details: [{ path }] } : {}) });
    }
    expect(await counts()).toEqual(before);
  });

  test('a replayed transfer id is a 409 DUPLICATE and leaves one transfer with its lines', async () => {
    const from = await insertWarehouse(database.db);
    const to = await insertWarehouse(database.db);
    const payload = { id: randomUUID(), fromWarehouseId: from, toWarehouseId: to, lines: [{ productId: await insertProduct(database.db), quantity: 4 }] };
    expect((await post(admin, payload)).statusCode).toBe(201);
    const before = await counts();
    const replay = await post(admin, payload);
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'transfers_pkey' } });
    expect(await counts()).toEqual(before);
  });
});
