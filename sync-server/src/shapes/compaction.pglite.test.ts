import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, type ShapeServer, startShapeServer } from '../test-support/shape-server.ts';
import { compactChangeLog } from './compaction.ts';
import { resolveShape } from './shape-definition.ts';
import { takeSnapshot, touchHandle } from './shape-log.ts';
import { parseShapeRequest } from './shape-request.ts';
import { loadTableCatalog } from './table-catalog.ts';

let db: PgliteExecutor;
let server: ShapeServer;

beforeAll(async () => {
  db = await capturedPglite();
  server = await startShapeServer(db);
}, 60_000);
afterAll(async () => {
  await server.close();
  await db.close();
});

const hour = 3600_000;
const addProduct = (sku: string) => db.query(`insert into catalog.products (sku, name, price_minor) values ($1, 'Tea', 100)`, [sku]);

test('compaction removes old transactions and unused handles; a handle in use survives, and an emptied log stands at its horizon', async () => {
  await addProduct('C-1');
  const catalog = await loadTableCatalog(db, ['catalog.products']);
  const user = { sub: 'u', sid: 's', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null } as const;
  const shape = resolveShape(parseShapeRequest({ table: 'catalog.products', offset: '-1' }), user, catalog);
  const abandoned = await takeSnapshot(db, shape);
  const inUse = await takeSnapshot(db, shape);
  await addProduct('C-2');
  await addProduct('C-3');
  // Two hours pass; one client kept asking with its handle (the server marks it used).
  await db.query(`update sync.change_log set logged_at = now() - interval '2 hours'`);
  await db.query(`update sync.shape_handles set used_at = now() - interval '2 hours'`);
  await touchHandle(db, inUse.handle.handle);

  const { removedEntries, compactedBefore } = await compactChangeLog(db, hour);
  expect(removedEntries).toBe(3);
  const { rows: log } = await db.query<{ count: number }>('select count(*)::int as count from sync.change_log');
  expect(log[0]!.count).toBe(0);
  const { rows: handles } = await db.query<{ handle: string }>('select handle from sync.shape_handles');
  expect(handles.map((row) => row.handle)).toEqual([inUse.handle.handle]);

  const admin = await server.token('admin');
  const get = (query: string) => fetch(`${server.shapeUrl}?table=catalog.products&${query}`, { headers: { Authorization: `Bearer ${admin}` } });
  const fresh = await get('offset=-1');
  expect(fresh.headers.get('electric-offset')).toBe(`${compactedBefore}_0`);
  expect((await get(`offset=${compactedBefore}_0&handle=${inUse.handle.handle}`)).status).toBe(200);
  expect((await get(`offset=${compactedBefore}_0&handle=${abandoned.handle.handle}`)).status).toBe(409);
  const behind = await get(`offset=${inUse.handle.snapshotLsn}_0&handle=${inUse.handle.handle}`);
  expect(behind.status).toBe(409);
  expect(await behind.json()).toEqual([{ headers: { control: 'must-refetch' } }]);

  // Entries inside the window stay.
  await addProduct('C-4');
  expect((await compactChangeLog(db, hour)).removedEntries).toBe(0);
});
