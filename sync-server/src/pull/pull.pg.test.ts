/**
 * Replicache pull against real Postgres, with the change log filled by logical replication: the
 * full view, patches from the log, the cookie rules Replicache enforces, role scoping, and last
 * mutation ids consistent with the data they arrive with, also while the log lags the tables.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AccessClaims } from '@niaga/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compactChangeLog } from '../shapes/compaction.ts';
import { syncedTables } from '../shapes/rules.ts';
import { loadTableCatalog, type TableInfo } from '../shapes/table-catalog.ts';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { closeBackend } from '../test-support/shape-test-kit.ts';
import { clientViewOf } from './client-view.ts';
import { compareCookies } from './pull-cookie.ts';
import { addCustomer, cartAdd, pull, push, ReplicaModel, seedShop } from './pull-test-kit.ts';
import { readPull } from './read-pull.ts';

let backend: PgShapeBackend;
let shop: Awaited<ReturnType<typeof seedShop>>;
let catalog: Map<string, TableInfo>;

beforeAll(async () => {
  backend = await startPgShapeBackend();
  shop = await seedShop(backend.database.db);
  catalog = await loadTableCatalog(backend.database.db, syncedTables);
}, 60_000);
afterAll(() => closeBackend(backend));

async function shopper() {
  const customerID = await addCustomer(backend.database.db, shop.territoryID);
  const sub = randomUUID();
  return { customerID, sub, token: await backend.server.token('customer', { customer_id: customerID, sub }), claims: { sub, sid: randomUUID(), role: 'customer', customer_id: customerID, agent_id: null, territory_id: null, warehouse_id: null } as AccessClaims };
}

async function pullInto(replica: ReplicaModel, token: string, group: string): Promise<boolean> {
  return replica.apply(await pull(backend.server, token, group, replica.cookie));
}

describe('the full view and patches', () => {
  test("a first pull is clear plus the caller's whole view: the active catalog without cost, their own customer, cart and client rows, as typed JSON", async () => {
    const me = await shopper();
    const other = await shopper();
    const [group, client, item] = [randomUUID(), randomUUID(), randomUUID()];
    await push(backend.server, me.token, group, [cartAdd(client, 1, shop.products.tea, item, 2)]);
    await push(backend.server, other.token, randomUUID(), [cartAdd(randomUUID(), 1, shop.products.tea, randomUUID())]);

    const response = await pull(backend.server, me.token, group, null);
    expect(response.patch[0]).toEqual({ op: 'clear' });
    expect(response.lastMutationIDChanges).toEqual({ [client]: 1 });
    const replica = new ReplicaModel();
    replica.apply(response);
    expect(replica.keys('catalog.products/')).toEqual([`catalog.products/${shop.products.coffee}`, `catalog.products/${shop.products.tea}`].sort());
    const tea = replica.rows.get(`catalog.products/${shop.products.tea}`) as Record<string, unknown>;
    expect(tea).toMatchObject({ id: shop.products.tea, name: 'Tea', price_minor: 250, active: true, tags: ['hot', 'green leaf'], currency: 'USD' });
    expect(tea).not.toHaveProperty('cost_minor');
    expect(replica.keys('customers.customers/')).toEqual([`customers.customers/${me.customerID}`]);
    expect(Object.values(replica.table('orders.cart_items'))).toEqual([expect.objectContaining({ id: item, customer_id: me.customerID, product_id: shop.products.tea, qty: 2 })]);
    expect(Object.values(replica.table('orders.carts')).map((cart) => cart.customer_id)).toEqual([me.customerID]);
    expect(Object.values(replica.table('sync.clients'))).toEqual([expect.objectContaining({ id: client, client_group_id: group, last_mutation_id: 1 })]);
    // Only tables a shopper may sync.
    const tables = new Set(replica.keys().map((key) => key.slice(0, key.indexOf('/'))));
    expect([...tables].every((table) => clientViewOf(me.claims, catalog).has(table))).toBe(true);
  });

  test('a pull with nothing logged since its cookie answers the same cookie and an empty patch', async () => {
    const me = await shopper();
    const group = randomUUID();
    const first = await pull(backend.server, me.token, group, null);
    await backend.logCaughtUp();
    // Other writes may have advanced the log meanwhile: bring the cookie to the head first.
    const second = await pull(backend.server, me.token, group, first.cookie);
    const third = await pull(backend.server, me.token, group, second.cookie);
    expect(third).toEqual({ cookie: second.cookie, lastMutationIDChanges: {}, patch: [] });
  });

  test('changes after a cookie arrive as a patch with a greater cookie: rows entering or changing as puts, rows leaving as dels', async () => {
    const me = await shopper();
    const group = randomUUID();
    const replica = new ReplicaModel();
    await pullInto(replica, me.token, group);
    const db = backend.database.db;
    const [newProduct, client, item] = [randomUUID(), randomUUID(), randomUUID()];
    await db.query(`insert into catalog.products (id, sku, name, price_minor, active) values ($1, $2, 'Mate', 400, false)`, [newProduct, `SKU-${newProduct.slice(0, 8)}`]);
    await db.query('update catalog.products set active = true where id = $1', [newProduct]); // enters the view
    await push(backend.server, me.token, group, [cartAdd(client, 1, newProduct, item, 3)]);
    await db.query('update catalog.products set cost_minor = cost_minor + 1 where id = $1', [shop.products.retired]); // outside the view: nothing to send
    await backend.logCaughtUp();

    const before = replica.cookie;
    const response = await pull(backend.server, me.token, group, replica.cookie);
    expect(compareCookies(response.cookie, before)).toBeGreaterThan(0);
    const put = (key: string) => response.patch.find((operation) => operation.op === 'put' && operation.key === key);
    expect(put(`catalog.products/${newProduct}`)).toMatchObject({ value: { name: 'Mate', active: true, price_minor: 400 } });
    expect(put(`orders.cart_items/${item}`)).toMatchObject({ value: { qty: 3 } });
    expect(response.patch.map((operation) => ('key' in operation ? operation.key : 'clear'))).not.toContain(`catalog.products/${shop.products.retired}`);
    expect(response.lastMutationIDChanges).toEqual({ [client]: 1 });
    replica.apply(response);

    await db.query('update catalog.products set active = false where id = $1', [newProduct]); // leaves the view
    await backend.logCaughtUp();
    const leaving = await pull(backend.server, me.token, group, replica.cookie);
    expect(leaving.patch).toEqual([{ op: 'del', key: `catalog.products/${newProduct}` }]);
    replica.apply(leaving);

    // What the patches built is exactly what a fresh full view holds.
    const fresh = new ReplicaModel();
    fresh.apply(await pull(backend.server, me.token, randomUUID(), null));
    expect(Object.fromEntries(replica.rows)).toEqual(expect.objectContaining(Object.fromEntries([...fresh.rows].filter(([key]) => !key.startsWith('sync.clients/')))));
    expect(replica.keys().filter((key) => !key.startsWith('sync.clients/'))).toEqual(fresh.keys().filter((key) => !key.startsWith('sync.clients/')));
  });

  test('a long backlog arrives in parts of whole transactions, each with a greater cookie, adding up to the full view', async () => {
    const me = await shopper();
    const group = randomUUID();
    const input = (cookie: ReplicaModel['cookie']) => ({ user: me.claims, clientGroupID: group, cookie, view: clientViewOf(me.claims, catalog), truncatedSince: () => false });
    const replica = new ReplicaModel();
    replica.apply((await readPull(backend.database.db, input(null))).response);
    // Ten transactions of two products each.
    for (let n = 0; n < 10; n++) {
      await backend.database.db.transaction(async (tx) => {
        for (let k = 0; k < 2; k++) await tx.query(`insert into catalog.products (id, sku, name, price_minor) values (gen_random_uuid(), $1, 'Bulk', 10)`, [`BULK-${randomUUID().slice(0, 12)}`]);
      });
    }
    await backend.logCaughtUp();
    const parts: { keys: string[]; more: boolean; order: string }[] = [];
    for (let more = true; more; ) {
      const part = await readPull(backend.database.db, input(replica.cookie), { maxPatchKeys: 3, maxEntries: 1_000, pageEntries: 3 });
      parts.push({ keys: part.response.patch.map((operation) => ('key' in operation ? operation.key : operation.op)), more: part.more, order: part.response.cookie.order });
      replica.apply(part.response);
      more = part.more;
    }
    // A part stops after the transaction that reaches 3 keys: 4 keys (two whole transactions), never 3.
    expect(parts.map((part) => part.keys.length), JSON.stringify(parts)).toEqual([4, 4, 4, 4, 4]);
    const fresh = new ReplicaModel();
    fresh.apply((await readPull(backend.database.db, input(null))).response);
    expect(replica.keys()).toEqual(fresh.keys());
  });
});

describe('cookies Replicache must never see go down', () => {
  test('an unknown, garbled, foreign or newer cookie gets clear and the full view with a cookie above it', async () => {
    const me = await shopper();
    const group = randomUUID();
    const ours = await pull(backend.server, me.token, group, null);
    const cookies = [
      { order: 'zzz' },
      12345,
      '99',
      { order: ours.cookie.order, log: 'another-database', snapshot: ours.cookie.snapshot },
      { order: '90000000000000000000', log: ours.cookie.log, snapshot: ours.cookie.snapshot }, // ahead of this log
      { order: ours.cookie.order, log: ours.cookie.log, snapshot: 'not-a-snapshot' },
    ];
    for (const cookie of cookies) {
      const response = await pull(backend.server, me.token, group, cookie);
      expect(response.patch[0], JSON.stringify(cookie)).toEqual({ op: 'clear' });
      expect(compareCookies(response.cookie, cookie), JSON.stringify(cookie)).toBeGreaterThan(0);
      expect(response.patch.length).toBe(ours.patch.length);
    }
  });

  test('a cookie older than the compacted log gets clear and the full view', async () => {
    const me = await shopper();
    const group = randomUUID();
    const replica = new ReplicaModel();
    await pullInto(replica, me.token, group);
    await push(backend.server, me.token, group, [cartAdd(randomUUID(), 1, shop.products.coffee, randomUUID())]);
    await backend.logCaughtUp();
    await compactChangeLog(backend.database.db, 0);
    const response = await pull(backend.server, me.token, group, replica.cookie);
    expect(response.patch[0]).toEqual({ op: 'clear' });
    replica.apply(response);
    expect(Object.values(replica.table('orders.cart_items'))).toEqual([expect.objectContaining({ product_id: shop.products.coffee })]);
  });
});

describe('last mutation ids', () => {
  test('while a device pushes, every pull confirms exactly the mutations whose effects it brings', async () => {
    const me = await shopper();
    const [group, client, item] = [randomUUID(), randomUUID(), randomUUID()];
    const replica = new ReplicaModel();
    const total = 25;
    let done = false;
    const pushing = (async () => {
      for (let id = 1; id <= total; id++) await push(backend.server, me.token, group, [cartAdd(client, id, shop.products.tea, item)]);
      done = true;
    })();
    const check = () => {
      // Each cart.add adds 1 to the same line: its quantity must equal the confirmed mutation count.
      const line = replica.rows.get(`orders.cart_items/${item}`) as { qty: number } | undefined;
      expect(line?.qty ?? 0).toBe(replica.lastMutationIDs[client] ?? 0);
    };
    while (!done) {
      await pullInto(replica, me.token, group);
      check();
    }
    await pushing;
    await backend.logCaughtUp();
    await pullInto(replica, me.token, group);
    check();
    expect(replica.lastMutationIDs[client]).toBe(total);
  });

  test('a full view read while the log lags carries its last mutation ids, and the lagging entries never take them back', async () => {
    const me = await shopper();
    const [group, client, item] = [randomUUID(), randomUUID(), randomUUID()];
    await push(backend.server, me.token, group, [cartAdd(client, 1, shop.products.tea, item)]);
    await backend.logCaughtUp();
    // Hold the log appender: mutations 2 and 3 commit, but are not logged yet.
    const blocker = new pg.Client({ connectionString: backend.database.url });
    await blocker.connect();
    const replica = new ReplicaModel();
    try {
      await blocker.query('begin');
      await blocker.query('lock table sync.change_log in exclusive mode');
      await push(backend.server, me.token, group, [cartAdd(client, 2, shop.products.tea, item), cartAdd(client, 3, shop.products.tea, item)]);
      replica.apply(await pull(backend.server, me.token, group, null));
      expect(replica.lastMutationIDs).toEqual({ [client]: 3 });
      expect(replica.rows.get(`orders.cart_items/${item}`)).toMatchObject({ qty: 3 });
    } finally {
      await blocker.query('commit');
      await blocker.end();
    }
    await backend.logCaughtUp();
    // The lagging entries arrive in the log now; read them one transaction at a time.
    const input = { user: me.claims, clientGroupID: group, view: clientViewOf(me.claims, catalog), truncatedSince: () => false };
    for (let more = true; more; ) {
      const part = await readPull(backend.database.db, { ...input, cookie: replica.cookie }, { maxPatchKeys: 1, maxEntries: 1, pageEntries: 1 });
      expect(part.response.patch.filter((operation) => operation.op !== 'del' && 'key' in operation && operation.key === `orders.cart_items/${item}`)).toEqual([]);
      replica.apply(part.response); // fails if a last mutation id went down
      more = part.more;
    }
    await push(backend.server, me.token, group, [cartAdd(client, 4, shop.products.tea, item)]);
    await backend.logCaughtUp();
    await pullInto(replica, me.token, group);
    expect(replica.lastMutationIDs).toEqual({ [client]: 4 });
    expect(replica.rows.get(`orders.cart_items/${item}`)).toMatchObject({ qty: 4 });
  });

  test("another user's client group is refused with 403 FORBIDDEN, and its clients are never reported", async () => {
    const me = await shopper();
    const thief = await shopper();
    const group = randomUUID();
    await push(backend.server, me.token, group, [cartAdd(randomUUID(), 1, shop.products.tea, randomUUID())]);
    const response = await fetch(`${backend.server.baseUrl}/api/v1/sync/pull`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${thief.token}` },
      body: JSON.stringify({ pullVersion: 1, clientGroupID: group, cookie: null, schemaVersion: '1' }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe('FORBIDDEN');
    expect(body.message).toMatch(/another user/);
  });
});

describe('role scoping', () => {
  test("neither a second shopper nor an agent ever pulls a shopper's cart, orders or client rows", async () => {
    const me = await shopper();
    const other = await shopper();
    const agentToken = await backend.server.token('agent', { agent_id: randomUUID(), territory_id: shop.territoryID });
    const [group, client, item, orderID] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const replicas = { other: new ReplicaModel(), agent: new ReplicaModel() };
    await pullInto(replicas.other, other.token, randomUUID());
    await pullInto(replicas.agent, agentToken, randomUUID());
    await push(backend.server, me.token, group, [
      cartAdd(client, 1, shop.products.tea, item),
      { clientID: client, id: 2, name: 'cart.checkout', args: { orderID, occurredAt: new Date().toISOString() }, timestamp: 2 },
    ]);
    await backend.logCaughtUp();
    await pullInto(replicas.other, other.token, randomUUID());
    await pullInto(replicas.agent, agentToken, randomUUID());
    const mine = [me.customerID, me.sub, item, orderID, client, group];
    const mentionsMine = ([key, value]: [string, unknown]) => mine.some((id) => key.includes(id) || JSON.stringify(value).includes(id));
    expect([...replicas.other.rows].filter(mentionsMine)).toEqual([]);
    // The agent sees the customers of their territory (that is their job), and nothing else of this shopper.
    expect([...replicas.agent.rows].filter(mentionsMine).map(([key]) => key)).toEqual([`customers.customers/${me.customerID}`]);
    expect(replicas.agent.keys('orders.carts/')).toEqual([]);
    expect(replicas.agent.keys('orders.cart_items/')).toEqual([]);
    // And the shopper does see their order.
    const own = new ReplicaModel();
    own.apply(await pull(backend.server, me.token, group, null));
    expect(own.keys('orders.orders/')).toEqual([`orders.orders/${orderID}`]);
    expect((own.rows.get(`orders.orders/${orderID}`) as { customer_id: string }).customer_id).toBe(me.customerID);
    expect(own.lastMutationIDs).toEqual({ [client]: 2 });
  });
});

test('the cookie is a zero-padded log position that survives a server restart', async () => {
  const me = await shopper();
  const group = randomUUID();
  const first = await pull(backend.server, me.token, group, null);
  expect(first.cookie.order).toMatch(/^\d{20}$/);
  const { rows } = await backend.database.db.query<{ lsn: string }>(`select greatest((select max(lsn) from sync.change_log), compacted_before)::text as lsn from sync.log_state`);
  expect(BigInt(first.cookie.order)).toBeLessThanOrEqual(BigInt(rows[0]!.lsn));
  // A second server instance over the same database (as after a restart) continues from it.
  const { startShapeServer } = await import('../test-support/shape-server.ts');
  const restarted = await startShapeServer(backend.database.db);
  try {
    await push(backend.server, me.token, group, [cartAdd(randomUUID(), 1, shop.products.tea, randomUUID())]);
    await backend.logCaughtUp();
    const next = await pull(restarted, me.token, group, first.cookie);
    expect(compareCookies(next.cookie, first.cookie)).toBeGreaterThan(0);
    expect(next.patch[0]).not.toEqual({ op: 'clear' });
  } finally {
    await restarted.close();
  }
});
