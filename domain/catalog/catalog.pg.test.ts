import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { catalogPlugin } from './plugin.ts';

let database: TestDatabase;
let t: TestApp;
let admin: { authorization: string };

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp(catalogPlugin, '/api/v1/catalog', { db: database.db });
  admin = await t.as('admin');
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

const product = (sku: string, extra: Record<string, unknown> = {}) => ({ sku, name: `Product ${sku}`, priceMinor: 1250, costMinor: 700, ...extra });

async function createProduct(body: Record<string, unknown>) {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/catalog/products', headers: admin, payload: body });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>();
}

describe('products', () => {
  test('an admin creates, reads, patches and deletes a product; the price change lands in price history', async () => {
    const created = await createProduct(product('SKU-LIFE', { tags: ['snack'], barcode: '8991234567890' }));
    expect(created).toMatchObject({ sku: 'SKU-LIFE', priceMinor: 1250, costMinor: 700, currency: 'USD', active: true, tags: ['snack'] });

    const read = await t.app.inject({ url: `/api/v1/catalog/products/${created.id}`, headers: admin });
    expect(read.json()).toEqual(created);

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/catalog/products/${created.id}`, headers: admin, payload: { priceMinor: 1400 } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ priceMinor: 1400, name: 'Product SKU-LIFE' });

    const { rows } = await database.db.query('select price_minor from catalog.price_history where product_id = $1 order by effective_from, price_minor', [created.id]);
    expect(rows).toEqual([{ price_minor: 1250 }, { price_minor: 1400 }]);

    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/v1/catalog/products/${created.id}`, headers: admin });
    expect(deleted.statusCode).toBe(204);
    const gone = await t.app.inject({ url: `/api/v1/catalog/products/${created.id}`, headers: admin });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  test('cost is visible to admins only', async () => {
    const created = await createProduct(product('SKU-COST'));
    const agent = await t.app.inject({ url: `/api/v1/catalog/products/${created.id}`, headers: await t.as('agent') });
    expect(agent.statusCode).toBe(200);
    expect(agent.json()).not.toHaveProperty('costMinor');
    const list = await t.app.inject({ url: '/api/v1/catalog/products?q=SKU-COST', headers: await t.as('warehouse') });
    expect(list.json<{ items: object[] }>().items).toHaveLength(1);
    expect(list.json<{ items: object[] }>().items[0]).not.toHaveProperty('costMinor');
  });

  test('shoppers see only active products', async () => {
    const hidden = await createProduct(product('SKU-INACTIVE', { active: false }));
    const shopper = await t.as('customer');
    expect((await t.app.inject({ url: `/api/v1/catalog/products/${hidden.id}`, headers: shopper })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/catalog/products/${hidden.id}`, headers: await t.as('agent') })).statusCode).toBe(200);
  });

  test('only admins may write products', async () => {
    for (const role of ['agent', 'warehouse', 'customer'] as const) {
      const headers = await t.as(role);
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/catalog/products', headers, payload: product(`SKU-${role}`) });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  test('no token is a 401, a garbage token is a 401', async () => {
    const anonymous = await t.app.inject({ url: '/api/v1/catalog/products' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const garbage = await t.app.inject({ url: '/api/v1/catalog/products', headers: { authorization: 'Bearer not.a.jwt' } });
    expect(garbage.statusCode).toBe(401);
  });

  test('invalid bodies are 400 with every problem listed, and nothing is written', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/catalog/products',
      headers: admin,
      payload: { sku: '', name: 'x', priceMinor: -5, colour: 'red' },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ code: string; details: { path: string }[] }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details.length).toBeGreaterThanOrEqual(3);
    const { rows } = await database.db.query(`select 1 from catalog.products where name = 'x'`);
    expect(rows).toEqual([]);
  });

  test('a duplicate sku is a 409 naming the constraint', async () => {
    await createProduct(product('SKU-DUP'));
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/catalog/products', headers: admin, payload: product('SKU-DUP') });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'products_sku_unique' } });
  });

  test('an unknown category is a 400 REFERENCE_NOT_FOUND', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/catalog/products',
      headers: admin,
      payload: product('SKU-REF', { categoryId: '00000000-0000-4000-8000-000000000000' }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
  });

  test('lists page with a cursor through every row exactly once, with filters', async () => {
    for (let i = 0; i < 7; i++) await createProduct(product(`PAGE-${i}`, { tags: i % 2 === 0 ? ['even'] : ['odd'] }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/catalog/products?q=PAGE-&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.app.inject({ url, headers: admin })).json<{ items: { sku: string }[]; nextCursor: string | null }>();
      seen.push(...page.items.map((item) => item.sku));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['PAGE-0', 'PAGE-1', 'PAGE-2', 'PAGE-3', 'PAGE-4', 'PAGE-5', 'PAGE-6']);
    const even = (await t.app.inject({ url: '/api/v1/catalog/products?q=PAGE-&tag=even', headers: admin })).json<{ items: unknown[] }>();
    expect(even.items).toHaveLength(4);
  });

  test('a tampered cursor is a 400, not a 500', async () => {
    const response = await t.app.inject({ url: '/api/v1/catalog/products?cursor=bm90LWpzb24', headers: admin });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_CURSOR' });
  });

  test('a malformed id is a 400, an unknown id a 404', async () => {
    expect((await t.app.inject({ url: '/api/v1/catalog/products/nope', headers: admin })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/catalog/products/00000000-0000-4000-8000-000000000000', headers: admin })).statusCode).toBe(404);
  });
});

describe('categories', () => {
  test('a category tree is built by admins and read by everyone; a parent with children cannot be deleted', async () => {
    const parent = await t.app.inject({ method: 'POST', url: '/api/v1/catalog/categories', headers: admin, payload: { name: 'Drinks', slug: 'drinks' } });
    expect(parent.statusCode).toBe(201);
    const parentID = parent.json<{ id: string }>().id;
    const child = await t.app.inject({
      method: 'POST',
      url: '/api/v1/catalog/categories',
      headers: admin,
      payload: { name: 'Tea', slug: 'tea', parentId: parentID },
    });
    expect(child.statusCode).toBe(201);
    const children = await t.app.inject({ url: `/api/v1/catalog/categories?parentId=${parentID}`, headers: await t.as('customer') });
    expect(children.json<{ items: { slug: string }[] }>().items.map((item) => item.slug)).toEqual(['tea']);

    const refused = await t.app.inject({ method: 'DELETE', url: `/api/v1/catalog/categories/${parentID}`, headers: admin });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'INVALID_STATE' });
  });

  test('a bad slug is a 400 and agents may not create categories', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/catalog/categories', headers: admin, payload: { name: 'X', slug: 'Not A Slug' } });
    expect(bad.statusCode).toBe(400);
    const denied = await t.app.inject({ method: 'POST', url: '/api/v1/catalog/categories', headers: await t.as('agent'), payload: { name: 'X', slug: 'x' } });
    expect(denied.statusCode).toBe(403);
  });
});
