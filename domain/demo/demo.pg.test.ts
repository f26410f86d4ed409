import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { verifyPassword } from '../auth/passwords.ts';
import { checksummedTables, tableChecksums } from './demo-checksums.ts';
import { DemoDatabaseNotEmptyError, demoLogins, isDatabaseEmpty, seedDemoCompany, type DemoSummary } from './index.ts';

const password = 'demo-password-for-tests';
const seed = 7;

let database: TestDatabase;
let emptyBefore: boolean;
let summary: DemoSummary;
const progress: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  emptyBefore = await isDatabaseEmpty(database.db);
  summary = await seedDemoCompany(database.db, { scale: 'small', seed, password, onProgress: (step) => progress.push(step) });
}, 120_000);
afterAll(async () => {
  await database.drop();
});

async function all<Row>(sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await database.db.query<Row>(sql, params)).rows;
}
async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await all<{ n: number }>(`select count(*)::int as n from (${sql}) q`, params);
  return row!.n;
}

test('the database is empty before the seed and not after it', async () => {
  expect(emptyBefore).toBe(true);
  expect(await isDatabaseEmpty(database.db)).toBe(false);
});

test('the summary counts what is in the tables and progress names each table', async () => {
  for (const [table, rows] of Object.entries(summary.counts)) {
    expect(await count(`select 1 from ${table}`), table).toBe(rows);
  }
  expect(summary.durationMs).toBeGreaterThan(0);
  expect(progress).toContain('catalog.products');
  expect(progress).toContain('inventory.stock_items');
});

describe('the small company', () => {
  test('has about 500 products in a two-level tree of about 20 categories', async () => {
    expect(await count('select 1 from catalog.products')).toBe(500);
    expect(await count('select 1 from catalog.categories')).toBe(20);
    expect(await count('select 1 from catalog.categories where parent_id is null')).toBe(5);
    expect(await count(`select 1 from catalog.categories c join catalog.categories p on p.id = c.parent_id where p.parent_id is not null`)).toBe(0);
    expect(await count(`select 1 from catalog.products p join catalog.categories c on c.id = p.category_id where c.parent_id is null`)).toBe(0);
    expect(await count(`select distinct currency from catalog.products`)).toBe(1);
    expect(await count('select 1 from catalog.variants')).toBeGreaterThan(10);
    expect(await count('select 1 from catalog.images')).toBeGreaterThan(100);
  });

  test('each product price history ends at the current price', async () => {
    const mismatched = await count(`
      select 1 from catalog.products p
      join lateral (select price_minor from catalog.price_history h where h.product_id = p.id order by effective_from desc limit 1) h on true
      where h.price_minor <> p.price_minor`);
    expect(mismatched).toBe(0);
    expect(await count('select distinct product_id from catalog.price_history')).toBe(500);
  });

  test('has warehouses WH-1 to WH-3, each with 40 bins in a walking order, stocking every product', async () => {
    const warehouses = await all<{ code: string; bins: number; orders: number; stock: number }>(`
      select w.code, (select count(*)::int from inventory.bins b where b.warehouse_id = w.id) as bins,
             (select count(distinct sort_order)::int from inventory.bins b where b.warehouse_id = w.id) as orders,
             (select count(*)::int from inventory.stock_items s where s.warehouse_id = w.id) as stock
      from inventory.warehouses w order by w.code`);
    expect(warehouses).toEqual(['WH-1', 'WH-2', 'WH-3'].map((code) => ({ code, bins: 40, orders: 40, stock: 500 })));
    expect(await count('select 1 from inventory.stock_items s join inventory.bins b on b.id = s.bin_id where b.warehouse_id <> s.warehouse_id')).toBe(0);
  });

  test('keeps every stock item equal to the sum of its ledger, with reserved within on_hand', async () => {
    const offLedger = await count(`
      select 1 from inventory.stock_items s
      left join (select warehouse_id, product_id, sum(quantity) as q from inventory.movements where affects_on_hand group by 1, 2) m
        using (warehouse_id, product_id)
      where coalesce(m.q, 0) <> s.on_hand`);
    expect(offLedger).toBe(0);
    expect(await count(`select 1 from inventory.movements m where not exists (select 1 from inventory.stock_items s where s.warehouse_id = m.warehouse_id and s.product_id = m.product_id)`)).toBe(0);
    expect(await count('select 1 from inventory.stock_items where reserved > on_hand or on_hand < 0 or available <> on_hand - reserved')).toBe(0);
    expect(await count(`select 1 from inventory.stock_items where reserved > 0`)).toBeGreaterThan(0);
    expect(await count(`select distinct kind from inventory.movements`)).toBeGreaterThanOrEqual(3);
  });

  test('has 3 territories with 2 agents each, each agent with a default warehouse', async () => {
    expect(await count('select 1 from agents.territories')).toBe(3);
    const perTerritory = await all<{ agents: number }>('select count(*)::int as agents from agents.agents group by territory_id');
    expect(perTerritory).toEqual([{ agents: 2 }, { agents: 2 }, { agents: 2 }]);
    expect(await count('select 1 from agents.agents where warehouse_id is null')).toBe(0);
  });

  test('has about 300 customers with one or two addresses, exactly one default, in the customer territory', async () => {
    expect(await count('select 1 from customers.customers')).toBe(300);
    expect(await count('select distinct territory_id from customers.customers')).toBe(3);
    const addressCounts = await all<{ n: number }>('select distinct count(*)::int as n from customers.addresses group by customer_id order by 1');
    expect(addressCounts).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await count('select 1 from customers.customers c where (select count(*) from customers.addresses a where a.customer_id = c.id and a.is_default) <> 1')).toBe(0);
    expect(await count('select 1 from customers.addresses a join customers.customers c on c.id = a.customer_id where a.territory_id is distinct from c.territory_id')).toBe(0);
  });

  test('plans visits on the base day for every agent, only to customers of its own territory', async () => {
    const today = await all<{ agent_id: string }>(`select distinct agent_id from agents.routes where planned_for = '2026-01-05' and status = 'planned'`);
    expect(today).toHaveLength(6);
    expect(await count(`
      select 1 from agents.routes r join agents.agents a on a.id = r.agent_id join customers.customers c on c.id = r.customer_id
      where r.territory_id <> a.territory_id or c.territory_id <> a.territory_id`)).toBe(0);
  });

  test('has order history in every status, with totals that add up and lines carrying the order scope', async () => {
    expect(await count('select 1 from orders.orders')).toBe(200);
    const statuses = (await all<{ status: string }>('select distinct status from orders.orders order by 1')).map((row) => row.status);
    expect(statuses).toEqual(['backordered', 'cancelled', 'confirmed', 'delivered', 'picking', 'placed', 'shipped']);
    expect(await count(`
      select 1 from orders.orders o
      where o.subtotal_minor <> (select sum(line_total_minor) from orders.order_items i where i.order_id = o.id)
         or o.total_minor <> o.subtotal_minor + o.tax_minor`)).toBe(0);
    expect(await count('select 1 from orders.order_items where line_total_minor <> qty * unit_price_minor or allocated_qty > qty or picked_qty > allocated_qty')).toBe(0);
    expect(await count(`
      select 1 from orders.order_items i join orders.orders o on o.id = i.order_id
      where i.customer_id <> o.customer_id or i.agent_id is distinct from o.agent_id or i.warehouse_id is distinct from o.warehouse_id`)).toBe(0);
    expect(await count(`
      select 1 from orders.orders o join customers.customers c on c.id = o.customer_id
      where o.territory_id is distinct from c.territory_id or o.currency <> c.currency`)).toBe(0);
    expect(await count(`select 1 from orders.orders o join agents.agents a on a.id = o.agent_id where a.territory_id <> o.territory_id`)).toBe(0);
  });

  test('gives open orders pick lists whose lines follow the bins of the order warehouse', async () => {
    expect(await count(`select 1 from orders.orders o where o.status in ('confirmed', 'picking') and not exists (select 1 from orders.pick_lists p where p.order_id = o.id)`)).toBe(0);
    expect(await count(`select 1 from orders.pick_lists p join orders.orders o on o.id = p.order_id where o.status not in ('confirmed', 'picking') or p.warehouse_id <> o.warehouse_id`)).toBe(0);
    expect(await count('select 1 from orders.pick_lines')).toBeGreaterThan(0);
    expect(await count(`
      select 1 from orders.pick_lines l join inventory.bins b on b.id = l.bin_id join orders.pick_lists p on p.id = l.pick_list_id
      join orders.order_items i on i.id = l.order_item_id
      where b.code <> l.bin_code or b.sort_order <> l.bin_sort_order or b.warehouse_id <> l.warehouse_id
         or l.warehouse_id <> p.warehouse_id or l.product_id <> i.product_id or l.picked_qty <> i.picked_qty`)).toBe(0);
  });

  test('pays delivered orders in full and pays commission on delivered agent orders', async () => {
    expect(await count(`select 1 from orders.orders o where o.status = 'delivered' and o.total_minor <> (select sum(amount_minor) from orders.payments p where p.order_id = o.id)`)).toBe(0);
    expect(await count(`select 1 from orders.payments p join orders.orders o on o.id = p.order_id where o.status <> 'delivered'`)).toBe(0);
    const expected = await count(`select 1 from orders.orders where status = 'delivered' and agent_id is not null`);
    expect(expected).toBeGreaterThan(0);
    expect(await count(`select 1 from agents.commissions c join orders.orders o on o.id = c.order_id and o.agent_id = c.agent_id and o.status = 'delivered'`)).toBe(expected);
    expect(await count('select 1 from agents.commissions where amount_minor <= 0')).toBe(0);
  });

  test('gives the shopper a cart and a wishlist, and has transfers in draft and shipped with warehouse ids on their lines', async () => {
    const [shopper] = await all<{ customer_id: string }>(`select customer_id from auth.users where email = 'shopper1@niaga.test'`);
    expect(await count('select 1 from orders.cart_items where customer_id = $1', [shopper!.customer_id])).toBeGreaterThan(0);
    expect(await count('select 1 from customers.wishlists where customer_id = $1', [shopper!.customer_id])).toBeGreaterThan(0);
    expect(await count(`select 1 from orders.orders where customer_id = $1 and source = 'storefront'`, [shopper!.customer_id])).toBeGreaterThan(0);
    const statuses = (await all<{ status: string }>('select status from inventory.transfers order by status')).map((row) => row.status);
    expect(statuses).toEqual(expect.arrayContaining(['draft', 'shipped']));
    expect(await count(`
      select 1 from inventory.transfer_lines l join inventory.transfers t on t.id = l.transfer_id
      where l.from_warehouse_id <> t.from_warehouse_id or l.to_warehouse_id <> t.to_warehouse_id`)).toBe(0);
  });

  test('keeps the reporting read models consistent with orders and stock', async () => {
    const salesOff = await count(`
      with expected as (
        select (placed_at at time zone 'UTC')::date as day, territory_id, agent_id, count(*)::int as orders_count,
               sum((select sum(qty) from orders.order_items i where i.order_id = o.id))::int as units, sum(subtotal_minor)::bigint as revenue
        from orders.orders o where status <> 'cancelled' group by 1, 2, 3)
      select 1 from expected e full join reporting.sales_summary s
        on s.day = e.day and s.territory_id = e.territory_id and s.agent_id is not distinct from e.agent_id
      where s.id is null or e.day is null or s.orders_count <> e.orders_count or s.units <> e.units or s.revenue_minor <> e.revenue`);
    expect(salesOff).toBe(0);
    const inventoryOff = await count(`
      select 1 from reporting.inventory_summary r
      join (select s.warehouse_id, count(*)::int as skus, sum(on_hand)::bigint as units, sum(reserved)::bigint as reserved,
                   sum(on_hand * p.cost_minor)::bigint as value, count(*) filter (where available <= reorder_point)::int as low
            from inventory.stock_items s join catalog.products p on p.id = s.product_id group by 1) e using (warehouse_id)
      where r.sku_count <> e.skus or r.units_on_hand <> e.units or r.units_reserved <> e.reserved or r.value_minor <> e.value or r.low_stock_count <> e.low`);
    expect(inventoryOff).toBe(0);
    expect(await count('select 1 from reporting.inventory_summary')).toBe(3);
  });

  test('continues order numbers after the seeded ones', async () => {
    const [next] = await all<{ number: string }>(`select 'SO-' || lpad(nextval('orders.order_number_seq')::text, 6, '0') as number`);
    expect(next!.number).toBe('SO-000201');
  });
});

describe('demo users', () => {
  test('every demo login exists with its role, and the demo password verifies', async () => {
    const users = await all<{ email: string; role: string; password_hash: string }>('select email, role, password_hash from auth.users order by email');
    expect(users.map((user) => [user.email, user.role])).toEqual(
      [...demoLogins].sort((a, b) => a.email.localeCompare(b.email)).map((login) => [login.email, login.role]),
    );
    expect(new Set(users.map((user) => user.password_hash)).size).toBe(1);
    expect(await verifyPassword(users[0]!.password_hash, password)).toBe(true);
    expect(await verifyPassword(users[0]!.password_hash, 'wrong-password')).toBe(false);
  });

  test('agent1 and agent2 are agents of their own records in different territories', async () => {
    const agents = await all<{ email: string; territory_id: string; agent_territory: string; code: string; territory_code: string }>(`
      select u.email, u.territory_id, a.territory_id as agent_territory, a.code, t.code as territory_code
      from auth.users u join agents.agents a on a.id = u.agent_id join agents.territories t on t.id = u.territory_id
      where u.email in ('agent1@niaga.test', 'agent2@niaga.test', 'agent4@niaga.test') order by u.email`);
    expect(agents.map((agent) => [agent.email, agent.code, agent.territory_code])).toEqual([
      ['agent1@niaga.test', 'AG-001', 'JKT'],
      ['agent2@niaga.test', 'AG-002', 'SBY'],
      ['agent4@niaga.test', 'AG-004', 'JKT'],
    ]);
    for (const agent of agents) expect(agent.territory_id).toBe(agent.agent_territory);
  });

  test('pickers belong to WH-1 and WH-2 and the shopper is a real customer', async () => {
    const pickers = await all<{ email: string; code: string }>(`
      select u.email, w.code from auth.users u join inventory.warehouses w on w.id = u.warehouse_id where u.role = 'warehouse' order by u.email`);
    expect(pickers.slice(0, 2)).toEqual([{ email: 'picker1@niaga.test', code: 'WH-1' }, { email: 'picker2@niaga.test', code: 'WH-2' }]);
    const [shopper] = await all<{ code: string }>(`select c.code from auth.users u join customers.customers c on c.id = u.customer_id where u.email = 'shopper1@niaga.test'`);
    expect(shopper).toEqual({ code: 'C-00001' });
  });
});

describe('seeding', () => {
  test('refuses a database that already has users', async () => {
    await expect(seedDemoCompany(database.db, { scale: 'small', seed, password })).rejects.toBeInstanceOf(DemoDatabaseNotEmptyError);
  });

  test('leaves nothing behind when it fails part-way', async () => {
    const other = await createTestDatabase();
    try {
      // WH-3 already exists, so the warehouses insert fails after the catalog went in.
      await other.db.query(`insert into inventory.warehouses (code, name) values ('WH-3', 'In the way')`);
      await expect(seedDemoCompany(other.db, { scale: 'small', seed, password })).rejects.toThrow(/warehouses_code_unique/);
      expect(await isDatabaseEmpty(other.db)).toBe(true);
      const { rows } = await other.db.query<{ products: number; warehouses: number }>(
        'select (select count(*)::int from catalog.products) as products, (select count(*)::int from inventory.warehouses) as warehouses',
      );
      expect(rows[0]).toEqual({ products: 0, warehouses: 1 });
    } finally {
      await other.drop();
    }
  }, 60_000);

  test('the same seed gives byte-identical data, ids included; another seed gives other data', async () => {
    const [same, different] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      await Promise.all([
        seedDemoCompany(same.db, { scale: 'small', seed, password }),
        seedDemoCompany(different.db, { scale: 'small', seed: seed + 1, password }),
      ]);
      const [original, again, other] = await Promise.all([tableChecksums(database.db), tableChecksums(same.db), tableChecksums(different.db)]);
      expect(again).toEqual(original);
      for (const table of checksummedTables) expect(other[table], table).not.toBe(original[table]);
      const usersOf = (db: TestDatabase) => db.db.query(`select id, email, role, warehouse_id, territory_id, agent_id, customer_id from auth.users order by id`);
      expect((await usersOf(same)).rows).toEqual((await usersOf(database)).rows);
    } finally {
      await Promise.all([same.drop(), different.drop()]);
    }
  }, 120_000);
});
