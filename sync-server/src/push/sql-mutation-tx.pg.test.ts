/** The server's MutationTx holds writes back and sends them together: reads and rows still see them in order. */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@niaga/db';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MutationTables, SqlMutationTx } from './sql-mutation-tx.ts';

let database: TestDatabase;
let tables: MutationTables;

beforeAll(async () => {
  database = await createTestDatabase();
  tables = await MutationTables.load(database.db);
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

/** The transaction, with the statements sent through it recorded. */
function recording(tx: Queryable, sent: string[]): Queryable {
  return {
    query: (text, params, options) => {
      sent.push(text);
      return tx.query(text, params, options);
    },
    exec: (script) => tx.exec(script),
  };
}

test("writes go out together before the next read and at flush; a table's update or delete waits for its earlier writes", async () => {
  const [shop, kiosk, customer] = [randomUUID(), randomUUID(), randomUUID()];
  const sent: string[] = [];
  await database.db.transaction(async (tx) => {
    const mutationTx = new SqlMutationTx(recording(tx, sent), tables);
    await mutationTx.insert('customers.customers', { id: shop, name: 'Shop' });
    await mutationTx.insert('customers.customers', { id: kiosk, name: 'Kiosk' });
    await mutationTx.insert('orders.carts', { id: randomUUID(), customer_id: shop });
    expect(sent).toEqual([]);
    // An update of a table with writes held back: the three before it go first, in one statement.
    await mutationTx.update('customers.customers', shop, { name: 'Corner shop' });
    expect(sent).toHaveLength(1);
    const rows = await mutationTx.list('customers.customers', { id: [shop, kiosk] });
    expect(rows.map((row) => row.name)).toEqual([shop, kiosk].sort().map((id) => (id === shop ? 'Corner shop' : 'Kiosk')));
    expect(sent).toHaveLength(3); // the update, then the read
    await mutationTx.insert('customers.customers', { id: customer, name: 'Later' });
    await mutationTx.delete('customers.customers', kiosk); // sends the insert first
    await mutationTx.flush();
    expect(sent).toHaveLength(5);
  });
  const { rows } = await database.db.query<{ id: string; name: string }>('select id, name from customers.customers where id = any($1::uuid[]) order by name', [[shop, kiosk, customer]]);
  expect(rows).toEqual([
    { id: shop, name: 'Corner shop' },
    { id: customer, name: 'Later' },
  ]);
});

test('a held-back write that breaks a constraint fails the statement that sends it, and nothing of it stays', async () => {
  const shop = randomUUID();
  const attempt = database.db.transaction(async (tx) => {
    const mutationTx = new SqlMutationTx(tx, tables);
    await mutationTx.insert('customers.customers', { id: shop, name: 'Shop' });
    await mutationTx.insert('orders.carts', { id: randomUUID(), customer_id: shop });
    await mutationTx.insert('orders.carts', { id: randomUUID(), customer_id: shop }); // one cart per customer
    await mutationTx.flush();
  });
  await expect(attempt).rejects.toMatchObject({ code: '23505', constraint: 'carts_customer_unique' });
  const { rows } = await database.db.query('select 1 from customers.customers where id = $1', [shop]);
  expect(rows).toEqual([]);
});

test('a new default address replaces the old one in one mutation (the unique index checks each row as it is written)', async () => {
  const [customer, home, shop] = [randomUUID(), randomUUID(), randomUUID()];
  await database.db.query(`insert into customers.customers (id, name) values ($1, 'Shopper')`, [customer]);
  await database.db.query(`insert into customers.addresses (id, customer_id, line1, city, country, is_default) values ($1, $2, '1 Road', 'Town', 'KE', true)`, [home, customer]);
  await database.db.transaction(async (tx) => {
    const mutationTx = new SqlMutationTx(tx, tables);
    await mutationTx.update('customers.addresses', home, { is_default: false });
    await mutationTx.insert('customers.addresses', { id: shop, customer_id: customer, line1: '2 Street', city: 'Town', country: 'KE', is_default: true });
    await mutationTx.flush();
  });
  const { rows } = await database.db.query<{ id: string }>('select id from customers.addresses where customer_id = $1 and is_default', [customer]);
  expect(rows).toEqual([{ id: shop }]);
});
