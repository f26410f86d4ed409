/** The engine end to end over the embedded server (PGlite + capture triggers) and a PGlite device store. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, startShapeServer, type ShapeServer } from '@niaga/sync-server/test-support';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LocalStore } from './local-store.ts';
import { openDexieStore } from './dexie/index.ts';
import { webLocksLeader, type LeaderLock, type LockManagerLike } from './leader-lock.ts';
import { emptyDatabase, openPgliteStore } from './pglite/index.ts';
import { pickerTables, useEmbeddedBackend } from './test-support/embedded-backend.ts';
import { fakeIDB, until } from './test-support/test-helpers.ts';
import { SESSION_META_KEY, type SessionTokens } from './session.ts';
import { createSyncClient, type SyncClient } from './sync-client.ts';
import { metaKeys } from './rebase.ts';

const backend = useEmbeddedBackend();
const { warehouseID, productID, open } = backend;
const tables = pickerTables;

const { picker } = backend;

type LiveMode = 'pokes' | 'long-polls' | 'sse';

async function device(store?: LocalStore, options: { live?: LiveMode; session?: SessionTokens } = {}): Promise<{ client: SyncClient; store: LocalStore }> {
  const local = store ?? (await openPgliteStore({ template: await emptyDatabase() }));
  const session = options.session ?? { accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' };
  const live = options.live ?? 'pokes';
  const client = await createSyncClient({ serverURL: backend.server.baseUrl, store: local, tables, session, liveSse: live === 'sse', livePokes: live === 'pokes', pushBackoff: { initialMs: 20, maxMs: 200 } });
  open.push({ client, store: local });
  return { client, store: local };
}

/** A picker's device on a new PGlite store, talking through `fetch`, with every error code its status showed. */
async function deviceOver(fetch: typeof globalThis.fetch) {
  const store = await openPgliteStore({ template: await emptyDatabase() });
  const session = { accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' };
  const client = await createSyncClient({ serverURL: backend.server.baseUrl, store, tables, session, fetch, pushBackoff: { initialMs: 20, maxMs: 200 } });
  open.push({ client, store });
  const errors: (string | undefined)[] = [];
  client.onStatus((status) => errors.push(status.lastError?.code));
  return { client, store, errors };
}

const stockOf = (store: LocalStore) => store.transaction((tx) => tx.list('inventory.stock_items', { product_id: productID }));

test.each<LiveMode>(['pokes', 'long-polls', 'sse'])('a picker syncs (live by %s), adjusts stock offline-first (seen at once), and the server confirms it', async (live) => {
  const { client, store } = await device(undefined, { live });
  const progress: number[] = [];
  client.onStatus((status) => progress.push(status.initialSync.bytes));
  await client.ready();
  expect(client.status).toMatchObject({ phase: 'live', initialSync: { done: true } });
  expect(client.status.initialSync.rows).toBeGreaterThan(0);
  expect(progress.at(-1)).toBeGreaterThan(0);
  expect(await store.transaction((tx) => tx.get('inventory.warehouses', warehouseID))).toMatchObject({ code: 'WH-1' });

  const before = Number((await stockOf(store))[0]?.on_hand ?? 0);
  const adjustmentID = randomUUID();
  await client.mutate('stock.adjust', { adjustmentID, warehouseID, productID, delta: 7, reason: 'found a box', occurredAt: new Date().toISOString() });
  // Optimistic: visible at once, pending until the server's transaction comes back.
  expect(await stockOf(store)).toMatchObject([{ on_hand: before + 7 }]);
  expect(client.status.pending).toBe(1);

  await until(async () => client.status, (status) => status.pending === 0, 'the queue to drain', 10_000);
  expect(await stockOf(store)).toMatchObject([{ on_hand: before + 7 }]);
  const { rows } = await backend.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where product_id = $1', [productID]);
  expect(rows).toEqual([{ on_hand: before + 7 }]);
  expect(await store.transaction((tx) => tx.get('inventory.movements', adjustmentID))).toMatchObject({ quantity: 7 });
  // A server and a device on PGlite in one process: on a loaded two-core machine (the whole suite
  // in parallel) a first sync takes far longer than the 2 s it takes alone.
}, 90_000);

test('a restarted device resumes from its saved cursors and keeps its rows', async () => {
  const first = await device();
  await first.client.ready();
  const before = await stockOf(first.store);
  await first.client.stop();

  // Same store object (an in-memory PGlite cannot be reopened): the client starts from what it saved.
  const again = await device(first.store);
  expect(again.client.status.phase).toBe('live');
  await again.client.ready();
  await backend.db.query(`update inventory.stock_items set on_hand = on_hand + 1, available = available + 1 where product_id = $1`, [productID]);
  const after = await until(() => stockOf(again.store), (rows) => rows[0]?.on_hand === Number(before[0]?.on_hand ?? 0) + 1, 'the server’s change to arrive', 10_000);
  expect(after).toHaveLength(1);
});

test('a saved cursor without a handle (an offset the official client would refuse) is not resumed from: the device syncs again from scratch and keeps its rows', async () => {
  const first = await device();
  await first.client.ready();
  await first.client.stop();
  await first.store.transaction((tx) => tx.setMeta(metaKeys.cursor('inventory.warehouses'), { handle: '', offset: '5_0' }));
  const again = await device(first.store);
  await again.client.ready();
  expect(await again.store.transaction((tx) => tx.get('inventory.warehouses', warehouseID))).toMatchObject({ code: 'WH-1' });
  const cursor = await again.store.transaction((tx) => tx.getMeta<{ handle: string; offset: string }>(metaKeys.cursor('inventory.warehouses')));
  expect(cursor?.handle).not.toBe('');
});

test('a table the server is too busy to snapshot shows SERVER_BUSY until its rows arrive; the first sync then completes', async () => {
  let refused = 0;
  // The server as it answers a big first sync while every snapshot reader is taken (Postgres only): once, for one table.
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (refused === 0 && url.pathname === '/v1/shape' && url.searchParams.get('table') === 'catalog.products') {
      refused += 1;
      return new Response(JSON.stringify({ code: 'SNAPSHOT_BUSY', message: 'Every reader of big snapshots is busy' }), { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '1' } });
    }
    return globalThis.fetch(input, init);
  };
  const { client, store: local, errors } = await deviceOver(fetch);
  await client.ready();
  expect(refused).toBe(1);
  expect(errors).toContain('SERVER_BUSY');
  expect(client.status.lastError).toBeNull();
  expect(await local.transaction((tx) => tx.get('catalog.products', productID))).toMatchObject({ sku: 'TEA-1' });
});

test('a 502 on a table and a push answered with garbage show as errors while they last, and are cleared once the server answers again', async () => {
  let badShapes = 0;
  let badPushes = 0;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (badShapes === 0 && url.pathname === '/v1/shape' && url.searchParams.get('table') === 'catalog.products') {
      badShapes += 1;
      return new Response('<html>Bad gateway</html>', { status: 502 });
    }
    if (badPushes === 0 && url.pathname === '/api/v1/sync/push') {
      badPushes += 1;
      return new Response('<html>oops</html>', { status: 200 });
    }
    return globalThis.fetch(input, init);
  };
  const { client, errors } = await deviceOver(fetch);
  await client.ready();
  expect(errors).toContain('SERVER_ERROR');
  expect(client.status.lastError).toBeNull();
  await client.mutate('stock.adjust', { adjustmentID: randomUUID(), warehouseID, productID, delta: 1, reason: 'recount', occurredAt: new Date().toISOString() });
  await until(async () => client.status, (status) => status.pending === 0, 'the queue to drain', 10_000);
  expect(badPushes).toBe(1);
  expect(errors).toContain('BAD_RESPONSE');
  expect(client.status.lastError).toBeNull();
}, 60_000);

test('an unreadable local database is reported as STORE_CORRUPT; once deleted, the device syncs again from scratch', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'niaga-corrupt-'));
  try {
    const first = await device(await openPgliteStore({ dataDir, template: await emptyDatabase() }));
    await first.client.ready();
    await first.client.stop();
    await first.store.close();
    open.length = 0;
    const base = join(dataDir, 'base');
    for (const database of readdirSync(base)) for (const file of readdirSync(join(base, database))) writeFileSync(join(base, database, file), 'scribbled over');
    await expect(openPgliteStore({ dataDir })).rejects.toMatchObject({ name: 'LocalStoreError', code: 'STORE_CORRUPT' });
    rmSync(dataDir, { recursive: true, force: true });
    const again = await device(await openPgliteStore({ dataDir, template: await emptyDatabase() }));
    await again.client.ready();
    expect(await stockOf(again.store)).toHaveLength(1);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Web Locks as a browser grants them, for tabs in one process: one holder per name, the next waiter after it. */
function inMemoryLocks(): LockManagerLike {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request(name, options, callback) {
      const previous = tails.get(name) ?? Promise.resolve();
      const granted = previous.then(() => (options.signal.aborted ? undefined : callback({})));
      tails.set(name, granted.catch(() => undefined));
      return granted;
    },
  };
}

test('two tabs on one database: only the leader syncs and pushes, a follower’s mutation reaches the server through the leader, and a closed leader hands over', async () => {
  const locks = inMemoryLocks();
  const name = `tabs-${randomUUID()}`;
  const shared = { indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange };
  const accessToken = await backend.server.token('warehouse', picker);
  const tab = async () => {
    const store = await openDexieStore({ name, ...shared });
    const leader = webLocksLeader(`tabs:${name}`, locks);
    const client = await createSyncClient({ serverURL: backend.server.baseUrl, store, tables, session: { accessToken, refreshToken: 'unused' }, leader, pushBackoff: { initialMs: 20, maxMs: 200 } });
    open.push({ client, store });
    return { client, store, leader };
  };
  const first = await tab();
  await first.client.ready();
  const second = await tab();
  await second.client.ready(); // from the store the leader filled
  expect([first.leader.isLeader(), second.leader.isLeader()]).toEqual([true, false]);

  const fromFollower = randomUUID();
  await second.client.mutate('stock.adjust', { adjustmentID: fromFollower, warehouseID, productID, delta: 2, reason: 'second tab', occurredAt: new Date().toISOString() });
  await until(async () => (await backend.db.query('select id from inventory.movements where id = $1', [fromFollower])).rows.length, (count) => count === 1, 'the follower’s movement on the server', 10_000);
  await until(async () => second.client.status.pending, (pending) => pending === 0, 'the queue to drain', 10_000);

  await first.client.stop();
  await until(async () => second.leader.isLeader(), (leads) => leads, 'the second tab to lead', 10_000);
  const afterHandover = randomUUID();
  await second.client.mutate('stock.adjust', { adjustmentID: afterHandover, warehouseID, productID, delta: 1, reason: 'second tab leads', occurredAt: new Date().toISOString() });
  await until(async () => second.client.status.pending, (pending) => pending === 0, 'the queue to drain', 10_000);
  const { rows } = await backend.db.query<{ id: string }>('select id from inventory.movements where id = any($1)', [[fromFollower, afterHandover]]);
  expect(rows).toHaveLength(2);
});

test('a store that cannot be read when the streams start is read again (with backoff) until it can; the sync then goes on', async () => {
  const store = await openPgliteStore({ template: await emptyDatabase() });
  let tablesCalls = 0;
  // The first read (at creation) works; the next one, as the streams start, fails once.
  const flaky: LocalStore = Object.assign(Object.create(store) as LocalStore, {
    tables: async () => {
      tablesCalls++;
      if (tablesCalls === 2) throw Object.assign(new Error('the database is busy upgrading'), { code: 'STORE_BUSY' });
      return store.tables();
    },
  });
  const { client } = await device(flaky);
  await client.ready();
  expect(tablesCalls).toBeGreaterThanOrEqual(3);
  expect(await stockOf(store)).toHaveLength(1);
});

test('an expired access token is refreshed with the refresh token, and the new pair is kept in the store', async () => {
  const userID = randomUUID();
  await backend.db.query(`insert into auth.users (id, email, password_hash, role, warehouse_id) values ($1, $2, $3, 'warehouse', $4)`, [userID, `picker-${userID}@example.com`, await hashPassword('correct horse'), warehouseID]);
  const login = await fetch(`${backend.server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `picker-${userID}@example.com`, password: 'correct horse' }) });
  const { refreshToken } = (await login.json()) as SessionTokens;
  const expired = await backend.server.token('warehouse', { sub: userID, warehouse_id: warehouseID }, -60);
  const { client, store } = await device(undefined, { session: { accessToken: expired, refreshToken } });
  await client.ready();
  expect(client.status.needsLogin).toBe(false);
  const saved = await store.transaction((tx) => tx.getMeta<{ tokens: SessionTokens }>(SESSION_META_KEY));
  expect(saved?.tokens.refreshToken).not.toBe(refreshToken); // rotated
  expect(saved?.tokens.accessToken).not.toBe(expired);
});

test('a first sync writes each table’s snapshot rows as they arrive; one cut off midway starts over and keeps no row the server no longer has', async () => {
  await backend.db.query(`insert into catalog.products (sku, name, price_minor) select 'STG-' || n, 'Staged ' || n, 100 + n from generate_series(1, 30) n`);
  const paged = await startShapeServer(backend.db, { SHAPE_SNAPSHOT_PAGE_ROWS: '5' });
  const store = await openPgliteStore({ template: await emptyDatabase() });
  try {
    const session = { accessToken: await paged.token('warehouse', picker), refreshToken: 'unused' };
    // The network goes at the products' third page: requests for it never answer.
    const cutOff: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.searchParams.get('table') === 'catalog.products' && url.searchParams.get('offset') === '0_2') {
        return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('The request was aborted', 'AbortError'))));
      }
      return fetch(input, init);
    };
    const first = await createSyncClient({ serverURL: paged.baseUrl, store, tables, session, fetch: cutOff });
    const skus = async () => (await store.transaction((tx) => tx.list('catalog.products', {}))).map((row) => String(row.sku)).sort();
    const early = await until(() => skus().catch(() => []), (rows) => rows.length >= 10, 'the first pages of products in the store');
    expect(first.status.initialSync.done).toBe(false);
    await first.stop();

    // Meanwhile the server deletes what the device got so far and adds a product.
    await backend.db.query(`delete from catalog.products where sku = any($1)`, [early]);
    await backend.db.query(`insert into catalog.products (sku, name, price_minor) values ('STG-NEW', 'Late', 1)`);
    const second = await createSyncClient({ serverURL: paged.baseUrl, store, tables, session });
    await second.ready();
    await second.stop();
    const { rows } = await backend.db.query<{ sku: string }>('select sku from catalog.products order by sku');
    expect(await skus()).toEqual(rows.map((row) => row.sku).sort());
    expect(await skus()).toContain('STG-NEW');
  } finally {
    await store.close();
    await paged.close();
  }
}, 60_000);

describe('a first sync shared by two tabs', () => {
  let paged: ShapeServer;
  beforeAll(async () => {
    await backend.db.query(`insert into catalog.products (sku, name, price_minor) select 'TAB-' || n, 'Tabbed ' || n, 100 + n from generate_series(1, 30) n`);
    paged = await startShapeServer(backend.db, { SHAPE_SNAPSHOT_PAGE_ROWS: '5' });
  });
  afterAll(async () => paged?.close());

  /** A fetch whose requests for the products' pages at `offsets` wait until their `release` (never, if it is not called). */
  const holdingPages = (...offsets: string[]) => {
    const held = new Map(
      offsets.map((offset) => {
        let release!: () => void;
        let asked!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const wasAsked = new Promise<void>((resolve) => (asked = resolve));
        return [offset, { release, released, asked, wasAsked }] as const;
      }),
    );
    const fetchHolding: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const hold = url.searchParams.get('table') === 'catalog.products' ? held.get(url.searchParams.get('offset') ?? '') : undefined;
      if (hold) {
        hold.asked();
        const signal = init?.signal;
        const aborted = new Promise((_, reject) => {
          const abort = () => reject(new DOMException('The request was aborted', 'AbortError'));
          if (signal?.aborted) abort();
          else signal?.addEventListener('abort', abort);
        });
        await Promise.race([hold.released, aborted]);
      }
      return fetch(input, init);
    };
    return { fetch: fetchHolding, page: (offset: string) => held.get(offset)! };
  };

  test('a tab promoted after another tab finished the first sync, before it heard of it, is ready at once', async () => {
    const locks = inMemoryLocks();
    const name = `promoted-${randomUUID()}`;
    const shared = { indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange };
    const session = { accessToken: await paged.token('warehouse', picker), refreshToken: 'unused' };
    const firstStore = await openDexieStore({ name, ...shared });
    const first = await createSyncClient({ serverURL: paged.baseUrl, store: firstStore, tables, session, leader: webLocksLeader(`tabs:${name}`, locks) });
    open.push({ client: first, store: firstStore });
    // The second tab opens during the first sync. Its lock says it leads from the start, so it
    // ignores the store's news as a leader does; its streams start only when it is promoted.
    let promote!: () => void;
    const promoted = new Promise<void>((resolve) => (promote = resolve));
    const eagerLock: LeaderLock = { isLeader: () => true, whenLeader: () => promoted, release: async () => {} };
    const secondStore = await openDexieStore({ name, ...shared });
    const second = await createSyncClient({ serverURL: paged.baseUrl, store: secondStore, tables, session, leader: eagerLock });
    open.push({ client: second, store: secondStore });
    expect(second.status.initialSync.done).toBe(false);
    await first.ready();
    await first.stop();
    promote();
    await until(async () => second.status.initialSync.done, (done) => done, 'the promoted tab to see the first sync done', 10_000);
    await second.ready();
  });

  const twoTabs = async (fetchOfFirst: typeof fetch) => {
    const locks = inMemoryLocks();
    const name = `first-sync-${randomUUID()}`;
    const shared = { indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange };
    const session = { accessToken: await paged.token('warehouse', picker), refreshToken: 'unused' };
    const tab = async (fetchOfTab: typeof fetch) => {
      const store = await openDexieStore({ name, ...shared });
      const leader = webLocksLeader(`tabs:${name}`, locks);
      const client = await createSyncClient({ serverURL: paged.baseUrl, store, tables, session, leader, fetch: fetchOfTab, pushBackoff: { initialMs: 20, maxMs: 200 } });
      open.push({ client, store });
      return { client, store, leader };
    };
    // The second tab opens before the first has written anything.
    const first = await tab(fetchOfFirst);
    const second = await tab(fetch);
    expect([first.leader.isLeader(), second.leader.isLeader()]).toEqual([true, false]);
    return { first, second };
  };
  const skusIn = async (store: LocalStore) => (await store.transaction((tx) => tx.list('catalog.products', {})).catch(() => [])).map((row) => String(row.sku)).sort();

  test('a tab that takes over an unfinished first sync clears what the old leader wrote early, though it opened before those rows existed', async () => {
    const { first, second } = await twoTabs(holdingPages('0_2').fetch);
    const early = await until(() => skusIn(second.store), (rows) => rows.length >= 10, 'the first pages of products in the shared store');
    expect(first.client.status.initialSync.done).toBe(false);

    await backend.db.query(`delete from catalog.products where sku = any($1)`, [early]);
    await first.client.stop();
    await until(async () => second.leader.isLeader(), (leads) => leads, 'the second tab to lead', 10_000);
    await second.client.ready();
    const { rows } = await backend.db.query<{ sku: string }>('select sku from catalog.products order by sku');
    await until(() => skusIn(second.store), (skus) => skus.length === rows.length, 'the products to settle');
    expect(await skusIn(second.store)).toEqual(rows.map((row) => row.sku).sort());
  });

  test('with a mutation pending from another tab, the leader writes no more snapshot rows early (they wait for the first commit, which replays it)', async () => {
    const held = holdingPages('0_2', '0_3');
    const { first, second: follower } = await twoTabs(held.fetch);
    await held.page('0_2').wasAsked;
    const before = await until(() => skusIn(follower.store), (rows) => rows.length >= 10, 'the first two pages of products in the shared store');
    const [product] = await follower.store.transaction((tx) => tx.list('catalog.products', { sku: before[0] }));
    await follower.client.mutate('stock.adjust', { adjustmentID: randomUUID(), warehouseID, productID: product!.id, delta: 1, reason: 'follower during first sync', occurredAt: new Date().toISOString() });
    held.page('0_2').release();
    // The stream asks for page 0_3 only once page 0_2 was handled: it was not written.
    await held.page('0_3').wasAsked;
    expect(await skusIn(follower.store)).toEqual(before);
    expect(first.client.status.initialSync.done).toBe(false);
    held.page('0_3').release();
    await first.client.ready();
    await until(() => skusIn(follower.store), (skus) => skus.length > before.length, 'the rest of the products with the first commit');
  });
});
