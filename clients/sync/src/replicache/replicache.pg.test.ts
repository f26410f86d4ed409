/**
 * The official replicache@15.3.0 client (Node, in-memory store) against the real server over
 * Postgres with logical replication: a shopper runs the shared cart mutators offline, comes back,
 * pushes, pulls and ends with exactly the server's view for their role; what the server rejects
 * disappears; other users never pull the shopper's cart or orders.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Actor } from '@niaga/mutators';
import { startPgShapeBackend, type PgShapeBackend } from '@niaga/sync-server/test-support';
import { freePort } from '@niaga/testing';
import { Replicache, type ReadonlyJSONValue } from 'replicache';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { catchUpPuller } from './catch-up-puller.ts';
import { listenForPokes, type PokeListener } from './poke-listener.ts';
import { replicacheMutators } from './replicache-mutators.ts';

let backend: PgShapeBackend;
let deadURL: string;
const territoryID = randomUUID();
const products = { tea: randomUUID(), coffee: randomUUID(), mate: randomUUID() };
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  backend = await startPgShapeBackend();
  // Nothing listens there: requests fail as they do with no network.
  deadURL = `http://127.0.0.1:${await freePort()}`;
  const db = backend.database.db;
  for (const [name, id] of Object.entries(products)) {
    await db.query('insert into catalog.products (id, sku, name, price_minor, cost_minor) values ($1, $2, $3, 300, 100)', [id, `${name}-${id.slice(0, 8)}`, name]);
  }
}, 60_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  const closing = backend?.close();
  backend?.server.app.server.closeAllConnections();
  await closing;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, predicate: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

interface User {
  readonly actor: Actor;
  readonly token: string;
}

async function shopper(): Promise<User & { customerID: string }> {
  const customerID = randomUUID();
  await backend.database.db.query('insert into customers.customers (id, name, territory_id) values ($1, $2, $3)', [customerID, 'Shopper', territoryID]);
  const sub = randomUUID();
  const actor: Actor = { sub, role: 'customer', customer_id: customerID, agent_id: null, territory_id: null, warehouse_id: null };
  return { customerID, actor, token: await backend.server.token('customer', { sub, customer_id: customerID }) };
}

async function agent(): Promise<User> {
  const sub = randomUUID();
  const agentID = randomUUID();
  const actor: Actor = { sub, role: 'agent', customer_id: null, agent_id: agentID, territory_id: territoryID, warehouse_id: null };
  return { actor, token: await backend.server.token('agent', { sub, agent_id: agentID, territory_id: territoryID }) };
}

interface Device {
  readonly rep: Replicache<ReturnType<typeof replicacheMutators>>;
  readonly replayErrors: string[];
  online(): void;
  offline(): void;
  view(): Promise<Record<string, unknown>>;
}

function device(user: User, { online = true, pokes: listen = true } = {}): Device {
  const replayErrors: string[] = [];
  const rep = new Replicache({
    name: `storefront-${randomUUID()}`,
    kvStore: 'mem',
    schemaVersion: '1',
    auth: `Bearer ${user.token}`,
    pushURL: `${online ? backend.server.baseUrl : deadURL}/api/v1/sync/push`,
    pullURL: `${online ? backend.server.baseUrl : deadURL}/api/v1/sync/pull`,
    mutators: replicacheMutators(user.actor, { onReplayError: (name, error) => replayErrors.push(`${name}: ${String(error)}`) }),
    pullInterval: null,
    pushDelay: 5,
    logLevel: 'error',
    logSinks: [{ log: () => {} }], // expected network errors while offline
  });
  // Replicache's defaults reload the page; a test has none.
  rep.onUpdateNeeded = () => {};
  rep.onClientStateNotFound = () => {};
  // Asked on a 401; tests' tokens outlive them, so the same one.
  rep.getAuth = () => `Bearer ${user.token}`;
  rep.puller = catchUpPuller(rep);
  let pokes: PokeListener | undefined;
  const setOnline = (on: boolean) => {
    const base = on ? backend.server.baseUrl : deadURL;
    rep.pushURL = `${base}/api/v1/sync/push`;
    rep.pullURL = `${base}/api/v1/sync/pull`;
    pokes?.close();
    pokes = on && listen ? listenForPokes({ url: `${base}/api/v1/sync/poke`, auth: () => `Bearer ${user.token}`, onPoke: () => void rep.pull().catch(() => {}) }) : undefined;
  };
  setOnline(online);
  cleanups.push(async () => {
    pokes?.close();
    await rep.close();
  });
  return {
    rep,
    replayErrors,
    online: () => setOnline(true),
    offline: () => setOnline(false),
    view: () => rep.query(async (tx) => Object.fromEntries(await tx.scan().entries().toArray())),
  };
}

/** The server's view of this user: what a client group pulling from scratch receives. */
async function serverView(user: User): Promise<Record<string, unknown>> {
  const response = await fetch(`${backend.server.baseUrl}/api/v1/sync/pull`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ pullVersion: 1, clientGroupID: randomUUID(), cookie: null, schemaVersion: '1' }),
  });
  const body = (await response.json()) as { patch: { op: string; key: string; value: ReadonlyJSONValue }[] };
  return Object.fromEntries(body.patch.filter((operation) => operation.op === 'put').map((operation) => [operation.key, operation.value]));
}

/** Pushes and pulls until nothing is pending and the device holds exactly the server's view. */
async function converge(dev: Device, user: User): Promise<void> {
  await waitUntil('the device to converge with the server', async () => {
    await dev.rep.push({ now: true }).catch(() => {});
    await dev.rep.pull({ now: true }).catch(() => {});
    if ((await dev.rep.experimentalPendingMutations()).length > 0) return false;
    await backend.logCaughtUp();
    const [local, server] = [await dev.view(), await serverView(user)];
    return JSON.stringify(sortKeys(local)) === JSON.stringify(sortKeys(server));
  });
  expect(await dev.view()).toEqual(await serverView(user));
}

const sortKeys = (view: Record<string, unknown>) => Object.fromEntries(Object.entries(view).sort(([a], [b]) => (a < b ? -1 : 1)));
const keysOf = (view: Record<string, unknown>, table: string) => Object.keys(view).filter((key) => key.startsWith(`${table}/`));

test('a shopper adds to the cart and checks out offline, comes back, and ends with exactly the server\'s view; what the server refused is gone', async () => {
  const me = await shopper();
  const dev = device(me);
  await dev.rep.pull({ now: true });
  await waitUntil('the catalogue on the device', async () => keysOf(await dev.view(), 'catalog.products').length >= 3);

  dev.offline();
  const orderID = randomUUID();
  const [teaLine, coffeeLine, mateLine] = [randomUUID(), randomUUID(), randomUUID()];
  await dev.rep.mutate['cart.add']!({ itemID: teaLine, productID: products.tea, qty: 2 });
  await dev.rep.mutate['cart.add']!({ itemID: coffeeLine, productID: products.coffee, qty: 1 });
  await dev.rep.mutate['cart.add']!({ itemID: randomUUID(), productID: products.tea, qty: 1 });
  await dev.rep.mutate['cart.checkout']!({ orderID, occurredAt: new Date().toISOString() });
  // Meanwhile the shop stops selling mate; the device does not know yet and adds it.
  await backend.database.db.query('update catalog.products set active = false where id = $1', [products.mate]);
  cleanups.push(async () => void (await backend.database.db.query('update catalog.products set active = true where id = $1', [products.mate])));
  await dev.rep.mutate['cart.add']!({ itemID: mateLine, productID: products.mate, qty: 4 });
  const offline = await dev.view();
  expect(offline[`orders.orders/${orderID}`]).toMatchObject({ customer_id: me.customerID, status: 'placed', subtotal_minor: 1200 });
  expect(keysOf(offline, 'orders.cart_items')).toEqual([`orders.cart_items/${mateLine}`]);
  await dev.rep.push({ now: true }).catch(() => {}); // no network: nothing leaves the device
  expect(await dev.rep.experimentalPendingMutations()).toHaveLength(5);

  dev.online();
  await converge(dev, me);
  const view = await dev.view();
  expect(view[`orders.orders/${orderID}`]).toMatchObject({ customer_id: me.customerID, subtotal_minor: 1200 });
  expect(Object.values(view).filter((row) => (row as { order_id?: string }).order_id === orderID).map((row) => (row as { qty: number }).qty).sort()).toEqual([1, 3]);
  expect(keysOf(view, 'orders.cart_items')).toEqual([]); // the mate line was refused
  expect(keysOf(view, `catalog.products/${products.mate}`)).toEqual([]);
  // The refusal reaches its owner as data.
  expect(Object.values(view).filter((row) => (row as { status?: string }).status === 'rejected')).toEqual([expect.objectContaining({ name: 'cart.add', code: 'INVALID_STATE', mutation_id: 5 })]);
  const { rows } = await backend.database.db.query<{ qty: number }>('select qty from orders.order_items where order_id = $1 order by qty', [orderID]);
  expect(rows.map((row) => row.qty)).toEqual([1, 3]);

  // Other users pull their own views: not a row of this shopper's cart, orders or devices.
  const mine = [me.customerID, me.actor.sub, orderID, teaLine, coffeeLine, mateLine];
  const mentionsMine = ([key, value]: [string, unknown]) => mine.some((id) => key.includes(id) || JSON.stringify(value).includes(id));
  const second = await shopper();
  const secondDevice = device(second);
  const agentUser = await agent();
  const agentDevice = device(agentUser);
  await converge(secondDevice, second);
  await converge(agentDevice, agentUser);
  expect(Object.entries(await secondDevice.view()).filter(mentionsMine)).toEqual([]);
  // An agent sees the customers of their territory, but nothing of this shopper's cart or orders.
  expect(Object.entries(await agentDevice.view()).filter(mentionsMine).map(([key]) => key)).toEqual([`customers.customers/${me.customerID}`]);
});

test('a pending mutation that newer data makes impossible does nothing on replay, and disappears once the server refuses it', async () => {
  const me = await shopper();
  const dev = device(me);
  await dev.rep.pull({ now: true });
  await waitUntil('the catalogue on the device', async () => keysOf(await dev.view(), 'catalog.products').length >= 3);
  dev.rep.pushURL = `${deadURL}/api/v1/sync/push`; // pulls still work, pushes do not
  const line = randomUUID();
  await dev.rep.mutate['cart.add']!({ itemID: line, productID: products.coffee, qty: 1 });
  expect(keysOf(await dev.view(), 'orders.cart_items')).toEqual([`orders.cart_items/${line}`]);
  await backend.database.db.query('update catalog.products set active = false where id = $1', [products.coffee]);
  try {
    await backend.logCaughtUp();
    await waitUntil('coffee to leave the device and the replay to fail', async () => {
      await dev.rep.pull({ now: true });
      return dev.replayErrors.length > 0;
    });
    expect(keysOf(await dev.view(), 'orders.cart_items')).toEqual([]);
    expect(dev.replayErrors[0]).toMatch(/cart.add.*does not exist/);
    expect(await dev.rep.experimentalPendingMutations()).toHaveLength(1);
    dev.online();
    await converge(dev, me);
    const { rows } = await backend.database.db.query<{ status: string; code: string }>(
      'select status, code from sync.mutation_results where client_id = $1',
      [dev.rep.clientID],
    );
    expect(rows).toEqual([{ status: 'rejected', code: 'INVALID_STATE' }]);
  } finally {
    await backend.database.db.query('update catalog.products set active = true where id = $1', [products.coffee]);
  }
});

test('any offline sequence of cart changes converges with the server after reconnecting', async () => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), product: fc.constantFrom('tea', 'coffee'), qty: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ kind: fc.constant('remove' as const), nth: fc.nat(3) }),
    fc.record({ kind: fc.constant('checkout' as const) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
      const me = await shopper();
      const dev = device(me);
      await dev.rep.pull({ now: true });
      await waitUntil('the catalogue on the device', async () => keysOf(await dev.view(), 'catalog.products').length >= 2);
      dev.offline();
      for (const s of steps) {
        const lines = keysOf(await dev.view(), 'orders.cart_items').map((key) => key.slice(key.indexOf('/') + 1));
        try {
          if (s.kind === 'add') await dev.rep.mutate['cart.add']!({ itemID: randomUUID(), productID: products[s.product], qty: s.qty });
          else if (s.kind === 'remove' && lines.length > 0) await dev.rep.mutate['cart.remove']!({ itemID: lines[s.nth % lines.length]! });
          else if (s.kind === 'checkout') await dev.rep.mutate['cart.checkout']!({ orderID: randomUUID(), occurredAt: new Date().toISOString() });
        } catch (error) {
          // The device refuses what it can already see is wrong (an empty cart): nothing is queued.
          expect(String(error)).toMatch(/empty/);
        }
      }
      const before = await dev.view();
      dev.online();
      await converge(dev, me);
      // The server agrees with what the device did offline: the same orders, the same cart.
      const after = await dev.view();
      expect(keysOf(after, 'orders.orders')).toEqual(keysOf(before, 'orders.orders'));
      const qtyByProduct = (view: Record<string, unknown>) =>
        keysOf(view, 'orders.cart_items').map((key) => view[key] as { product_id: string; qty: number }).map((item) => `${item.product_id}:${item.qty}`).sort();
      expect(qtyByProduct(after)).toEqual(qtyByProduct(before));
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    }),
    { numRuns: 4 },
  );
}, 60_000);

test('with no pulls of its own, a device stays current through the poke stream alone', async () => {
  const me = await shopper();
  const dev = device(me);
  // pullInterval is null and the test never calls pull(): after the start, only pokes make it pull.
  await waitUntil('the catalogue on the device', async () => keysOf(await dev.view(), 'catalog.products').length >= 3);
  const price = 1000 + Math.floor(Math.random() * 1000);
  await backend.database.db.query('update catalog.products set price_minor = $2 where id = $1', [products.tea, price]);
  await waitUntil('the new price through a poke', async () => ((await dev.view())[`catalog.products/${products.tea}`] as { price_minor?: number } | undefined)?.price_minor === price);
});

test('a backlog longer than one pull arrives in parts, one pull after another, with no poke', async () => {
  const me = await shopper();
  const dev = device(me, { pokes: false });
  await dev.rep.pull({ now: true });
  await waitUntil('the catalogue on the device', async () => keysOf(await dev.view(), 'catalog.products').length >= 3);
  const batch = randomUUID().slice(0, 8);
  // Three transactions of 2,500 products: more than the 5,000 keys one pull carries.
  for (let part = 0; part < 3; part++) {
    await backend.database.db.query(
      `insert into catalog.products (sku, name, price_minor) select $1 || '-' || $2 || '-' || n, 'Bulk', 100 from generate_series(1, 2500) n`,
      [batch, part],
    );
  }
  cleanups.push(async () => void (await backend.database.db.query("delete from catalog.products where sku like $1 || '-%'", [batch])));
  await backend.logCaughtUp();
  await dev.rep.pull({ now: true });
  // Two pulls of up to 5,000 keys each: on a loaded 2-core machine they have taken over 20 s.
  await waitUntil('every bulk product on the device', async () => keysOf(await dev.view(), 'catalog.products').length >= 3 + 7_500, 45_000);
}, 75_000);
