import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPgExecutor } from '@niaga/db/pg';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { inventoryPlugin } from './plugin.ts';
import { insertBin, insertProduct, insertStock, insertWarehouse } from './test-fixtures.ts';

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
const post = (url: string, headers: Headers, payload: object) => t.app.inject({ method: 'POST', url: `${base}${url}`, headers, payload });
const patch = (url: string, headers: Headers, payload: object) => t.app.inject({ method: 'PATCH', url: `${base}${url}`, headers, payload });
const get = (url: string, headers: Headers) => t.app.inject({ url: `${base}${url}`, headers });

async function stockRow(warehouseID: string, productID: string) {
  const { rows } = await database.db.query<{ on_hand: number; available: number }>(
    'select on_hand, available from inventory.stock_items where warehouse_id = $1 and product_id = $2',
    [warehouseID, productID],
  );
  return rows[0];
}
async function movementCount(warehouseID: string): Promise<number> {
  const { rows } = await database.db.query<{ n: number }>('select count(*)::int as n from inventory.movements where warehouse_id = $1', [warehouseID]);
  return rows[0]!.n;
}

describe('stock', () => {
  test('an admin starts a stock row at zero with a bin and reorder point', async () => {
    const warehouse = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    const bin = await insertBin(database.db, warehouse);
    const response = await post('/stock', admin, { warehouseId: warehouse, productId: product, binId: bin, reorderPoint: 5 });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ warehouseId: warehouse, productId: product, binId: bin, onHand: 0, reserved: 0, available: 0, reorderPoint: 5, version: 1 });
  });

  test('agents read every warehouse, pickers only their own, shoppers nothing', async () => {
    const north = await insertWarehouse(database.db);
    const south = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    const northStock = await insertStock(database.db, north, product, 7);
    const southStock = await insertStock(database.db, south, product, 3);

    const agent = await get(`/stock?productId=${product}`, await t.as('agent'));
    expect(agent.json<Page<{ id: string }>>().items.map((item) => item.id).sort()).toEqual([northStock, southStock].sort());
    // Availability only, as in an agent's shape of the table: not the warehouse's working numbers.
    expect(Object.keys(agent.json<Page<Record<string, unknown>>>().items[0]!).sort()).toEqual(['available', 'id', 'productId', 'updatedAt', 'warehouseId']);

    const picker = await t.as('warehouse', { warehouse_id: north });
    const own = await get(`/stock?productId=${product}`, picker);
    expect(own.json<Page<{ id: string; onHand: number; available: number }>>().items).toMatchObject([{ id: northStock, onHand: 7, available: 7 }]);
    expect((await get(`/stock/${southStock}`, picker)).statusCode).toBe(404);

    const shopper = await t.as('customer', { customer_id: randomUUID() });
    expect((await get('/stock', shopper)).statusCode).toBe(403);
    expect((await get(`/stock/${northStock}`, shopper)).statusCode).toBe(403);
  });

  test('lowStock=true lists the rows at or below their reorder point, lowStock=false the others', async () => {
    const warehouse = await insertWarehouse(database.db);
    const low = await insertStock(database.db, warehouse, await insertProduct(database.db), 2, 5);
    const atPoint = await insertStock(database.db, warehouse, await insertProduct(database.db), 5, 5);
    const plenty = await insertStock(database.db, warehouse, await insertProduct(database.db), 50, 5);
    const lowIDs = (await get(`/stock?warehouseId=${warehouse}&lowStock=true`, admin)).json<Page<{ id: string }>>().items.map((item) => item.id);
    expect(lowIDs.sort()).toEqual([low, atPoint].sort());
    const okIDs = (await get(`/stock?warehouseId=${warehouse}&lowStock=false`, admin)).json<Page<{ id: string }>>().items.map((item) => item.id);
    expect(okIDs).toEqual([plenty]);
    expect((await get('/stock?lowStock=maybe', admin)).statusCode).toBe(400);
  });

  test('agents may not filter by lowStock: it compares with the reorder point, which they do not see', async () => {
    const warehouse = await insertWarehouse(database.db);
    await insertStock(database.db, warehouse, await insertProduct(database.db), 2, 5);
    const answer = await get(`/stock?warehouseId=${warehouse}&lowStock=true`, await t.as('agent'));
    expect(answer.statusCode, answer.body).toBe(403);
    const refusal = answer.json<{ code: string; message: string }>();
    expect(refusal.code).toBe('FORBIDDEN');
    expect(refusal.message).toContain('reorder_point');
    const picker = await t.as('warehouse', { warehouse_id: warehouse });
    expect((await get(`/stock?warehouseId=${warehouse}&lowStock=true`, picker)).json<Page<unknown>>().items).toHaveLength(1);
  });

  test('an agent pages stock by id, and no cursor carries a value the agent does not see (created_at)', async () => {
    const warehouse = await insertWarehouse(database.db);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await insertStock(database.db, warehouse, await insertProduct(database.db), i + 1));
    // Creation times in the reverse of id order: an order by created_at would tell them apart.
    const byID = [...ids].sort();
    for (const [i, id] of byID.entries()) {
      await database.db.query(`update inventory.stock_items set created_at = now() - make_interval(mins => $2::int) where id = $1`, [id, i]);
    }
    const hidden = (await database.db.query<{ created_at: string }>('select created_at::text as created_at from inventory.stock_items where warehouse_id = $1', [warehouse])).rows;

    const agent = await t.as('agent');
    const seen: string[] = [];
    let cursor: string | null = null;
    let added: string | undefined;
    do {
      const answer = await get(`/stock?warehouseId=${warehouse}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, agent);
      expect(answer.statusCode, answer.body).toBe(200);
      const page = answer.json<Page<Record<string, unknown>>>();
      seen.push(...page.items.map((item) => item.id as string));
      cursor = page.nextCursor;
      if (cursor) {
        // A cursor is base64url and readable: it may hold only what the agent was shown.
        const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
        const shown = new Set(page.items.flatMap((item) => Object.values(item).map(String)));
        expect((JSON.parse(decoded) as unknown[]).every((value) => shown.has(String(value))), decoded).toBe(true);
        for (const row of hidden) expect(decoded).not.toContain(row.created_at.slice(0, 19));
      }
      // A row added between pages does not make paging skip or repeat the others.
      added ??= await insertStock(database.db, warehouse, await insertProduct(database.db), 1);
    } while (cursor);
    const original = seen.filter((id) => id !== added);
    expect(original).toEqual(byID);
    expect(new Set(seen).size).toBe(seen.length);

    // A cursor keyed on created_at (as an admin's page is) is refused: an agent could otherwise write
    // one with a guessed time and learn from the answer which rows were created after it.
    const adminPage = (await get(`/stock?warehouseId=${warehouse}&limit=1`, admin)).json<Page<{ id: string }>>();
    expect(adminPage.nextCursor).not.toBeNull();
    const refused = await get(`/stock?warehouseId=${warehouse}&cursor=${adminPage.nextCursor}`, agent);
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'INVALID_CURSOR' });
    // The admin, who sees created_at, still pages in creation order.
    const adminOrder: string[] = [];
    let adminCursor: string | null = null;
    do {
      const page: Page<{ id: string }> = (await get(`/stock?warehouseId=${warehouse}&limit=2${adminCursor ? `&cursor=${adminCursor}` : ''}`, admin)).json<Page<{ id: string }>>();
      adminOrder.push(...page.items.map((item) => item.id));
      adminCursor = page.nextCursor;
    } while (adminCursor);
    expect(adminOrder.filter((id) => id !== added)).toEqual([...byID].reverse());
  });

  test('only admins start stock rows, and bad references are 400s', async () => {
    const warehouse = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    const picker = await t.as('warehouse', { warehouse_id: warehouse });
    expect((await post('/stock', picker, { warehouseId: warehouse, productId: product })).statusCode).toBe(403);
    expect((await post('/stock', await t.as('agent'), { warehouseId: warehouse, productId: product })).statusCode).toBe(403);

    const unknownProduct = await post('/stock', admin, { warehouseId: warehouse, productId: randomUUID() });
    expect(unknownProduct.statusCode).toBe(400);
    expect(unknownProduct.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    const unknownWarehouse = await post('/stock', admin, { warehouseId: randomUUID(), productId: product });
    expect(unknownWarehouse.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    const foreignBin = await post('/stock', admin, { warehouseId: warehouse, productId: product, binId: await insertBin(database.db, await insertWarehouse(database.db)) });
    expect(foreignBin.statusCode).toBe(400);
    expect(foreignBin.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/binId' }] });
    const withQuantity = await post('/stock', admin, { warehouseId: warehouse, productId: product, onHand: 100 });
    expect(withQuantity.statusCode).toBe(400);
    expect(await stockRow(warehouse, product)).toBeUndefined();

    expect((await post('/stock', admin, { warehouseId: warehouse, productId: product })).statusCode).toBe(201);
    const again = await post('/stock', admin, { warehouseId: warehouse, productId: product });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'stock_items_unique' } });
  });

  test('PATCH changes the bin and reorder point but never the quantity', async () => {
    const warehouse = await insertWarehouse(database.db);
    const stock = await insertStock(database.db, warehouse, await insertProduct(database.db), 9);
    const bin = await insertBin(database.db, warehouse);
    const picker = await t.as('warehouse', { warehouse_id: warehouse });

    const patched = await patch(`/stock/${stock}`, picker, { binId: bin, reorderPoint: 4 });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ binId: bin, reorderPoint: 4, onHand: 9, version: 1 });

    const quantity = await patch(`/stock/${stock}`, admin, { onHand: 500 });
    expect(quantity.statusCode).toBe(400);
    expect(quantity.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    const otherPicker = await t.as('warehouse', { warehouse_id: await insertWarehouse(database.db) });
    expect((await patch(`/stock/${stock}`, otherPicker, { reorderPoint: 1 })).statusCode).toBe(404);
    expect((await patch(`/stock/${stock}`, await t.as('agent'), { reorderPoint: 1 })).statusCode).toBe(403);
    const foreignBin = await patch(`/stock/${stock}`, admin, { binId: await insertBin(database.db, await insertWarehouse(database.db)) });
    expect(foreignBin.statusCode).toBe(400);

    const { rows } = await database.db.query('select on_hand, reorder_point, bin_id from inventory.stock_items where id = $1', [stock]);
    expect(rows).toEqual([{ on_hand: 9, reorder_point: 4, bin_id: bin }]);
  });
});

describe('movements', () => {
  test('a receipt creates the stock row and an adjustment moves it, each with a ledger row', async () => {
    const warehouse = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    const bin = await insertBin(database.db, warehouse);
    const receipt = await post('/movements', admin, { warehouseId: warehouse, productId: product, binId: bin, kind: 'receipt', quantity: 12, reason: 'PO-1001' });
    expect(receipt.statusCode, receipt.body).toBe(201);
    expect(receipt.json()).toMatchObject({
      movement: { warehouseId: warehouse, productId: product, binId: bin, kind: 'receipt', quantity: 12, reason: 'PO-1001', affectsOnHand: true },
      stockItem: { warehouseId: warehouse, productId: product, binId: bin, onHand: 12, available: 12, version: 2 },
    });

    const occurredAt = '2024-05-01T08:00:00.000Z';
    const adjustment = await post('/movements', admin, { warehouseId: warehouse, productId: product, kind: 'adjustment', quantity: -5, reason: 'damaged', occurredAt });
    expect(adjustment.statusCode).toBe(201);
    expect(adjustment.json()).toMatchObject({ movement: { quantity: -5, occurredAt }, stockItem: { onHand: 7, available: 7, version: 3 } });

    expect(await stockRow(warehouse, product)).toEqual({ on_hand: 7, available: 7 });
    const ledger = await get(`/movements?warehouseId=${warehouse}`, admin);
    expect(ledger.json<Page<{ kind: string; quantity: number }>>().items.map((item) => [item.kind, item.quantity])).toEqual([
      ['adjustment', -5],
      ['receipt', 12],
    ]);
  });

  test('a movement dated before the latest applied count is recorded but leaves on hand as the count set it', async () => {
    const warehouse = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    await insertStock(database.db, warehouse, product, 9);
    await database.db.query(
      `insert into inventory.count_lines (warehouse_id, product_id, counted_qty, status, occurred_at) values ($1, $2, 9, 'applied', '2026-11-20T12:00:00Z')`,
      [warehouse, product],
    );
    const late = await post('/movements', admin, { warehouseId: warehouse, productId: product, kind: 'adjustment', quantity: -2, reason: 'found a note', occurredAt: '2026-11-20T09:00:00.000Z' });
    expect(late.statusCode, late.body).toBe(201);
    expect(late.json()).toMatchObject({ movement: { quantity: -2, affectsOnHand: false }, stockItem: { onHand: 9 } });
    const after = await post('/movements', admin, { warehouseId: warehouse, productId: product, kind: 'receipt', quantity: 4, reason: 'PO-7', occurredAt: '2026-11-21T09:00:00.000Z' });
    expect(after.json()).toMatchObject({ movement: { affectsOnHand: true }, stockItem: { onHand: 13 } });
  });

  test('a movement that would take on hand below zero is a 409 and writes nothing', async () => {
    const warehouse = await insertWarehouse(database.db);
    const stocked = await insertProduct(database.db);
    await insertStock(database.db, warehouse, stocked, 3);
    const refused = await post('/movements', admin, { warehouseId: warehouse, productId: stocked, kind: 'adjustment', quantity: -4, reason: 'shrinkage' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'INVALID_STATE', details: { onHand: 3, quantity: -4 } });
    expect(await stockRow(warehouse, stocked)).toEqual({ on_hand: 3, available: 3 });

    const unstocked = await insertProduct(database.db);
    const fromNothing = await post('/movements', admin, { warehouseId: warehouse, productId: unstocked, kind: 'adjustment', quantity: -1, reason: 'lost' });
    expect(fromNothing.statusCode).toBe(409);
    expect(await stockRow(warehouse, unstocked)).toBeUndefined();
    expect(await movementCount(warehouse)).toBe(0);
  });

  test('concurrent adjustments never oversell: exactly on hand of them succeed', async () => {
    const warehouse = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    await insertStock(database.db, warehouse, product, 5);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => post('/movements', admin, { warehouseId: warehouse, productId: product, kind: 'adjustment', quantity: -1, reason: 'race' })),
    );
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 201, 201, 201, 201, 409, 409, 409]);
    expect(await stockRow(warehouse, product)).toEqual({ on_hand: 0, available: 0 });
    expect(await movementCount(warehouse)).toBe(5);
  });

  test('pickers record movements only in their own warehouse; agents and shoppers not at all', async () => {
    const mine = await insertWarehouse(database.db);
    const theirs = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    const picker = await t.as('warehouse', { warehouse_id: mine });
    const body = (warehouseId: string) => ({ warehouseId, productId: product, kind: 'receipt', quantity: 2, reason: 'delivery' });

    expect((await post('/movements', picker, body(mine))).statusCode).toBe(201);
    const elsewhere = await post('/movements', picker, body(theirs));
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await post('/movements', await t.as('agent'), body(mine))).statusCode).toBe(403);
    expect((await post('/movements', await t.as('customer'), body(mine))).statusCode).toBe(403);
    expect((await post('/movements', await t.as('warehouse'), body(mine))).statusCode).toBe(403);
    expect(await stockRow(mine, product)).toEqual({ on_hand: 2, available: 2 });
    expect(await stockRow(theirs, product)).toBeUndefined();

    expect((await get('/movements', picker)).json<Page<{ warehouseId: string }>>().items.map((item) => item.warehouseId)).toEqual([mine]);
    expect((await get('/movements', await t.as('agent'))).statusCode).toBe(403);
  });

  test('bad movements are 400s and write nothing', async () => {
    const warehouse = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    const base = { warehouseId: warehouse, productId: product, reason: 'x' };
    const cases: [object, string][] = [
      [{ ...base, kind: 'adjustment', quantity: 0 }, 'VALIDATION_FAILED'],
      [{ ...base, kind: 'receipt', quantity: -3 }, 'VALIDATION_FAILED'],
      [{ ...base, kind: 'pick', quantity: -1 }, 'VALIDATION_FAILED'],
      [{ ...base, kind: 'receipt', quantity: 1.5 }, 'VALIDATION_FAILED'],
      // A JSON body is taken with its own types: true is not the quantity 1, nor "2" the quantity 2.
      [{ ...base, kind: 'receipt', quantity: true }, 'VALIDATION_FAILED'],
      [{ ...base, kind: 'receipt', quantity: '2' }, 'VALIDATION_FAILED'],
      [{ warehouseId: warehouse, productId: product, kind: 'receipt', quantity: 1 }, 'VALIDATION_FAILED'],
      [{ ...base, kind: 'receipt', quantity: 1, occurredAt: 'yesterday' }, 'VALIDATION_FAILED'],
      // A leap second: RFC 3339 allows it, JavaScript cannot read it, Postgres would store year 10000.
      [{ ...base, kind: 'receipt', quantity: 1, occurredAt: '9999-12-31T23:59:60Z' }, 'VALIDATION_FAILED'],
      [{ ...base, kind: 'receipt', quantity: 1, productId: randomUUID() }, 'REFERENCE_NOT_FOUND'],
      [{ ...base, kind: 'receipt', quantity: 1, binId: await insertBin(database.db, await insertWarehouse(database.db)) }, 'VALIDATION_FAILED'],
    ];
    for (const [payload, code] of cases) {
      const response = await post('/movements', admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ code });
    }
    const unknownWarehouse = await post('/movements', admin, { ...base, warehouseId: randomUUID(), kind: 'receipt', quantity: 1 });
    expect(unknownWarehouse.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    expect(await movementCount(warehouse)).toBe(0);
    expect(await stockRow(warehouse, product)).toBeUndefined();
  });

  test('a replayed movement id is a 409 DUPLICATE and moves stock only once', async () => {
    const warehouse = await insertWarehouse(database.db);
    const product = await insertProduct(database.db);
    const payload = { id: randomUUID(), warehouseId: warehouse, productId: product, kind: 'receipt', quantity: 10, reason: 'PO-7' };
    expect((await post('/movements', admin, payload)).statusCode).toBe(201);
    const replay = await post('/movements', admin, payload);
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'movements_pkey' } });
    expect(await stockRow(warehouse, product)).toEqual({ on_hand: 10, available: 10 });
    expect(await movementCount(warehouse)).toBe(1);
  });
});

describe.each([
  // 55P03: waited past lock_timeout for the stock row.
  { setting: 'lock_timeout', value: '150ms', code: '55P03' },
  // 57014: the same wait, with no lock_timeout, runs past statement_timeout (kept well above what
  // the route's other statements take, so only the held-up one times out).
  { setting: 'statement_timeout', value: '1s', code: '57014' },
])('a database with $setting', ({ setting, value, code }) => {
  test(`a movement whose statement timed out waiting for the stock row (${code}) is a 503 to retry, writes nothing, and the retry applies it once`, async () => {
    // A database of its own: the setting applies to every new connection to it.
    const own = await createTestDatabase();
    await own.db.exec(`alter database ${own.name} set ${setting} = '${value}'`);
    const routeDb = createPgExecutor(own.url); // its connections open after the alter, so take the setting
    const app = await buildTestApp(inventoryPlugin, base, { db: routeDb });
    try {
      const warehouse = await insertWarehouse(own.db);
      const product = await insertProduct(own.db);
      await insertStock(own.db, warehouse, product, 10);
      const payload = { id: randomUUID(), warehouseId: warehouse, productId: product, kind: 'adjustment', quantity: -3, reason: 'damaged' };
      const postMovement = async () => app.app.inject({ method: 'POST', url: `${base}/movements`, headers: await app.as('admin'), payload });
      const state = async () =>
        (
          await own.db.query<{ movements: number; on_hand: number }>(
            `select (select count(*) from inventory.movements where warehouse_id = $1)::int as movements,
                    (select on_hand from inventory.stock_items where warehouse_id = $1 and product_id = $2) as on_hand`,
            [warehouse, product],
          )
        ).rows[0];

      // Another transaction holds the stock row past the timeout. The route inserts the ledger row
      // before it locks the stock row, so a 503 that left that row behind would be a half-write.
      const held = await own.db.transaction(async (tx) => {
        await tx.query('set local lock_timeout = 0');
        await tx.query('set local statement_timeout = 0');
        await tx.query('select 1 from inventory.stock_items where warehouse_id = $1 and product_id = $2 for update', [warehouse, product]);
        return postMovement();
      });
      expect(held.statusCode, held.body).toBe(503);
      expect(held.json()).toEqual({ code: 'UNAVAILABLE', message: expect.any(String) as unknown });
      expect(held.headers['retry-after']).toBe('1');
      expect(await state()).toEqual({ movements: 0, on_hand: 10 });

      const retried = await postMovement();
      expect(retried.statusCode, retried.body).toBe(201);
      expect(retried.json()).toMatchObject({ movement: { id: payload.id, quantity: -3 }, stockItem: { onHand: 7 } });
      expect(await state()).toEqual({ movements: 1, on_hand: 7 });
    } finally {
      await app.app.close();
      await routeDb.close();
      await own.drop();
    }
  }, 30_000);
});

test('a movement that deadlocks with another transaction (40P01) is a 503 to retry, writes nothing, and the retry applies it once', async () => {
  const warehouse = await insertWarehouse(database.db);
  const product = await insertProduct(database.db);
  await insertStock(database.db, warehouse, product, 10);
  const payload = { id: randomUUID(), warehouseId: warehouse, productId: product, kind: 'adjustment', quantity: -3, reason: 'damaged' };
  const lockWaiters = async (count: number) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 10))) {
      const { rows } = await database.db.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      if (rows[0]!.n >= count) return;
    }
    throw new Error(`${count} sessions never waited for a lock`);
  };

  // The other transaction holds the stock row, then wants the route's ledger row (a movement with
  // the same id). It waits first and never looks for a deadlock itself, so the route, which waits
  // last and looks after the default deadlock_timeout (1 s), is always the one Postgres rolls back.
  const other = await database.db.pool.connect();
  // Holds the route up between its two locks: it has inserted the ledger row and waits at its
  // foreign key check for the warehouse row, which this one holds.
  const gate = await database.db.pool.connect();
  try {
    await other.query('begin');
    await other.query(`set local deadlock_timeout = '1min'`);
    await other.query('select 1 from inventory.stock_items where warehouse_id = $1 and product_id = $2 for update', [warehouse, product]);
    await gate.query('begin');
    await gate.query('select 1 from inventory.warehouses where id = $1 for update', [warehouse]);

    const response = post('/movements', admin, payload);
    await lockWaiters(1);
    const sameID = other.query(`insert into inventory.movements (id, warehouse_id, product_id, kind, quantity, occurred_at) values ($1, $2, $3, 'adjustment', -1, now())`, [payload.id, warehouse, product]);
    sameID.catch(() => undefined); // awaited below; a failure before then is reported there
    await lockWaiters(2);
    await gate.query('rollback'); // the route goes on to the stock row: a deadlock

    const deadlocked = await response;
    expect(deadlocked.statusCode, deadlocked.body).toBe(503);
    expect(deadlocked.json()).toEqual({ code: 'UNAVAILABLE', message: expect.any(String) as unknown });
    expect(deadlocked.headers['retry-after']).toBe('1');
    await sameID; // the route's ledger row was rolled back, so the other's goes in
    await other.query('rollback');
  } finally {
    other.release(true);
    gate.release(true);
  }
  expect(await stockRow(warehouse, product)).toEqual({ on_hand: 10, available: 10 });
  expect(await movementCount(warehouse)).toBe(0);

  const retried = await post('/movements', admin, payload);
  expect(retried.statusCode, retried.body).toBe(201);
  expect(retried.json()).toMatchObject({ movement: { id: payload.id, quantity: -3 }, stockItem: { onHand: 7 } });
  expect(await stockRow(warehouse, product)).toEqual({ on_hand: 7, available: 7 });
  expect(await movementCount(warehouse)).toBe(1);
}, 30_000);
