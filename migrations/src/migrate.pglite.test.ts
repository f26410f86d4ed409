import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
import { loadMigrations, migrate, MigrationChangedError } from './migrate.ts';

let db: PgliteExecutor;
beforeAll(async () => {
  db = await createPgliteExecutor();
});
afterAll(async () => {
  await db.close();
});

test('all migrations apply on embedded PGlite, then nothing on a second run', async () => {
  const files = await loadMigrations();
  expect((await migrate(db)).applied).toEqual(files.map((file) => file.name));
  expect((await migrate(db)).applied).toEqual([]);
});

test('the stock trigger derives available and bumps the version on PGlite too', async () => {
  const { rows: [warehouse] } = await db.query<{ id: string }>(
    `insert into inventory.warehouses (code, name) values ('WH-T', 'Test') returning id`,
  );
  const { rows: [item] } = await db.query<{ id: string; available: number; version: number }>(
    `insert into inventory.stock_items (warehouse_id, product_id, on_hand, reserved)
     values ($1, gen_random_uuid(), 10, 3) returning id, available, version`,
    [warehouse!.id],
  );
  expect(item).toMatchObject({ available: 7, version: 1 });
  const { rows: [updated] } = await db.query(
    'update inventory.stock_items set reserved = 5 where id = $1 returning available, version',
    [item!.id],
  );
  expect(updated).toEqual({ available: 5, version: 2 });
});

test('a changed migration is refused on PGlite', async () => {
  const files = await loadMigrations();
  await expect(migrate(db, files.map((file) => ({ ...file, checksum: 'changed' })))).rejects.toBeInstanceOf(
    MigrationChangedError,
  );
});
