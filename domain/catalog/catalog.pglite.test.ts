/**
 * The catalogue's REST routes on the embedded engine (PGlite, Postgres 18), where errors can
 * differ from Postgres 15's, with input found by fuzzing: every one a 4xx with a code, never a 500.
 */
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
import { migrate } from '@niaga/migrations';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { encodeCursor } from '../shared/cursor.ts';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { catalogPlugin } from './plugin.ts';

let db: PgliteExecutor;
let t: TestApp;
let admin: { authorization: string };

beforeAll(async () => {
  db = await createPgliteExecutor();
  await migrate(db);
  t = await buildTestApp(catalogPlugin, '/api/v1/catalog', { db });
  admin = await t.as('admin');
}, 60_000);
afterAll(async () => {
  await t.app.close();
  await db.close();
});

test('a parent category with children cannot be deleted: 409 (Postgres 18 reports ON DELETE RESTRICT as 23001, not 23503)', async () => {
  const parent = await t.app.inject({ method: 'POST', url: '/api/v1/catalog/categories', headers: admin, payload: { name: 'Drinks', slug: 'drinks' } });
  const parentId = parent.json<{ id: string }>().id;
  expect((await t.app.inject({ method: 'POST', url: '/api/v1/catalog/categories', headers: admin, payload: { name: 'Tea', slug: 'tea', parentId } })).statusCode).toBe(201);
  const refused = await t.app.inject({ method: 'DELETE', url: `/api/v1/catalog/categories/${parentId}`, headers: admin });
  expect(refused.statusCode, refused.body).toBe(409);
  expect(refused.json()).toMatchObject({ code: 'INVALID_STATE' });
});

test('a NUL (which Postgres text cannot hold) in a body, a search or a cursor is a 400 saying so, and nothing is written', async () => {
  const created = await t.app.inject({ method: 'POST', url: '/api/v1/catalog/categories', headers: admin, payload: { name: 'a\u0000b', slug: 'nul' } });
  expect(created.statusCode, created.body).toBe(400);
  expect(created.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('NUL') as unknown });
  expect((await db.query("select 1 from catalog.categories where slug = 'nul'")).rows).toEqual([]);
  const search = await t.app.inject({ url: '/api/v1/catalog/products?q=%00', headers: admin });
  expect(search.statusCode, search.body).toBe(400);
  const cursor = await t.app.inject({ url: `/api/v1/catalog/products?cursor=${encodeCursor({ sortValue: '\u0000', id: '00000000-0000-4000-8000-000000000000' })}`, headers: admin });
  expect(cursor.statusCode, cursor.body).toBe(400);
  expect(cursor.json()).toMatchObject({ code: 'INVALID_CURSOR' });
});
