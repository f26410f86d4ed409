import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { createPgExecutor } from '@niaga/db/pg';
import { loadMigrations, migrate, MigrationChangedError } from './migrate.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

test('the template database has every migration applied, once', async () => {
  const files = await loadMigrations();
  const { rows } = await database.db.query<{ name: string }>('select name from public.niaga_migrations order by id');
  expect(rows.map((row) => row.name)).toEqual(files.map((file) => file.name));
});

test('running the migrations again applies nothing', async () => {
  const result = await migrate(database.db);
  expect(result.applied).toEqual([]);
  expect(result.alreadyApplied).toBe((await loadMigrations()).length);
});

test('every domain schema exists with its tables', async () => {
  const { rows } = await database.db.query<{ table: string }>(
    `select table_schema || '.' || table_name as table from information_schema.tables
     where table_schema in ('auth','catalog','inventory','orders','customers','agents','reporting','sync','events')
     order by 1`,
  );
  const tables = rows.map((row) => row.table);
  for (const expected of [
    'auth.users', 'auth.sessions', 'catalog.categories', 'catalog.products', 'catalog.variants', 'catalog.images',
    'catalog.price_history', 'inventory.warehouses', 'inventory.bins', 'inventory.stock_items', 'inventory.movements',
    'inventory.transfers', 'inventory.transfer_lines', 'inventory.count_sessions', 'inventory.count_lines',
    'orders.carts', 'orders.cart_items', 'orders.orders', 'orders.order_items', 'orders.payments', 'orders.pick_lists',
    'orders.pick_lines', 'customers.customers', 'customers.addresses', 'customers.wishlists', 'agents.agents',
    'agents.territories', 'agents.routes', 'agents.commissions', 'reporting.sales_summary', 'reporting.inventory_summary',
    'sync.clients', 'sync.client_groups', 'sync.mutation_results', 'sync.change_log', 'events.outbox', 'events.inbox',
  ]) {
    expect(tables).toContain(expected);
  }
});

test('a changed migration is refused and nothing else is applied', async () => {
  const files = await loadMigrations();
  const tampered = files.map((file, index) => (index === 0 ? { ...file, checksum: 'edited' } : file));
  const extra = { id: 9999, name: '9999_extra.sql', sql: 'create table public.should_not_exist (id int);', checksum: 'x' };
  await expect(migrate(database.db, [...tampered, extra])).rejects.toBeInstanceOf(MigrationChangedError);
  const { rows } = await database.db.query(`select to_regclass('public.should_not_exist') as t`);
  expect(rows[0]).toEqual({ t: null });
});

test('a failing migration leaves no trace (all or nothing)', async () => {
  const files = await loadMigrations();
  const good = { id: 9001, name: '9001_good.sql', sql: 'create table public.half_applied (id int);', checksum: 'a' };
  const bad = { id: 9002, name: '9002_bad.sql', sql: 'create table public.broken (id int references nowhere);', checksum: 'b' };
  await expect(migrate(database.db, [...files, good, bad])).rejects.toThrow(/nowhere/);
  const { rows } = await database.db.query(`select to_regclass('public.half_applied') as t`);
  expect(rows[0]).toEqual({ t: null });
});

test('two runners starting at once apply a new migration exactly once', async () => {
  const files = await loadMigrations();
  const next = { id: 9100, name: '9100_counter.sql', sql: 'create table public.once (id int);', checksum: 'c' };
  const other = createPgExecutor(database.url, { max: 1 });
  try {
    const results = await Promise.all([migrate(database.db, [...files, next]), migrate(other, [...files, next])]);
    expect(results.map((result) => result.applied).flat()).toEqual(['9100_counter.sql']);
  } finally {
    await other.close();
  }
});
