import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
// @niaga/migrations is not a dependency of @niaga/domain (only of @niaga/testing), hence the path.
import { migrate } from '@niaga/migrations';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { tableChecksums } from './demo-checksums.ts';
import { isDatabaseEmpty, seedDemoCompany, type DemoSummary } from './index.ts';

const options = { scale: 'small', seed: 11, password: 'demo-password-for-tests' } as const;

let db: PgliteExecutor;
let summary: DemoSummary;
beforeAll(async () => {
  db = await createPgliteExecutor();
  await migrate(db);
}, 120_000);
afterAll(async () => {
  await db.close();
});

test('the small company seeds into embedded PGlite in one go', async () => {
  expect(await isDatabaseEmpty(db)).toBe(true);
  summary = await seedDemoCompany(db, options);
  expect(await isDatabaseEmpty(db)).toBe(false);
  const { rows } = await db.query<{ products: number; stock: number; orders: number; users: number }>(`
    select (select count(*)::int from catalog.products) as products, (select count(*)::int from inventory.stock_items) as stock,
           (select count(*)::int from orders.orders) as orders, (select count(*)::int from auth.users) as users`);
  expect(rows[0]).toEqual({
    products: summary.counts['catalog.products'], stock: summary.counts['inventory.stock_items'],
    orders: summary.counts['orders.orders'], users: summary.counts['auth.users'],
  });
  expect(rows[0]).toMatchObject({ products: 500, stock: 1500, orders: 200 });
}, 60_000);

test('PGlite holds exactly the rows Postgres holds for the same seed', async () => {
  let postgres: TestDatabase | undefined;
  try {
    postgres = await createTestDatabase();
    const onPostgres = await seedDemoCompany(postgres.db, options);
    expect(onPostgres.counts).toEqual(summary.counts);
    expect(await tableChecksums(db)).toEqual(await tableChecksums(postgres.db));
  } finally {
    await postgres?.drop();
  }
}, 120_000);
