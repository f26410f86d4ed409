/**
 * Properties 2 and 3 of the client library, and its bad-input promises, with the real server over
 * real Postgres (logical-replication capture). Devices run in this process on both stores: PGlite
 * and Dexie (fake-indexeddb), each with a network that can go down.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { compactChangeLog, hashPassword, startPgShapeBackend, type PgShapeBackend } from '@niaga/sync-server/test-support';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { openDexieStore } from './dexie/index.ts';
import type { LocalStore } from './local-store.ts';
import { emptyDatabase, openPgliteStore } from './pglite/index.ts';
import { memoryJournal, type QueueJournal } from './queue-journal.ts';
import { createSyncClient, type SyncClient } from './sync-client.ts';
import type { SessionTokens } from './session.ts';
import { TestNetwork } from './test-support/network.ts';
import { fakeIDB, until } from './test-support/test-helpers.ts';

const indexedDB = new fakeIDB.IDBFactory();
const tables = ['inventory.warehouses', 'inventory.stock_items', 'inventory.movements', 'catalog.products'];

let backend: PgShapeBackend;
let garbage: Server;
let garbageURL: string;
let template: Blob;
const warehouseID = randomUUID();
const products = [randomUUID(), randomUUID(), randomUUID()];
const devices: { client: SyncClient; store: LocalStore }[] = [];

beforeAll(async () => {
  backend = await startPgShapeBackend();
  await backend.database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'Main')`, [warehouseID]);
  for (const [index, id] of products.entries()) await backend.database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, $2, 'Tea', 250)`, [id, `TEA-${index}`]);
  // A server that answers everything with a broken body, as a misconfigured proxy would.
  garbage = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json'));
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  const address = garbage.address();
  garbageURL = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  template = await emptyDatabase();
}, 90_000);
afterEach(async () => {
  for (const { client, store } of devices.splice(0)) {
    await client.stop();
    await store.close();
  }
});
afterAll(async () => {
  await backend?.close();
  garbage?.close();
}, 200_000);

type Kind = 'pglite' | 'dexie';
const openStore = (kind: Kind) => (kind === 'pglite' ? openPgliteStore({ template }) : openDexieStore({ name: `device-${randomUUID()}`, indexedDB, IDBKeyRange: fakeIDB.IDBKeyRange }));

/** A device; without `session`, a new picker's login, or (with a `store` that has one) the session saved in it. */
async function device(kind: Kind, session?: SessionTokens, store?: LocalStore, journal?: QueueJournal) {
  const network = new TestNetwork();
  const local = store ?? (await openStore(kind));
  const tokens = session ?? (store ? undefined : { accessToken: await backend.server.token('warehouse', { warehouse_id: warehouseID }), refreshToken: 'unused' });
  const client = await createSyncClient({ serverURL: backend.server.baseUrl, store: local, tables, ...(tokens ? { session: tokens } : {}), ...(journal ? { journal } : {}), fetch: network.fetch, pushBackoff: { initialMs: 20, maxMs: 200 } });
  devices.push({ client, store: local });
  return { client, store: local, network };
}

const adjust = (productID: string, delta: number) => ({ adjustmentID: randomUUID(), warehouseID, productID, delta, reason: 'test', occurredAt: new Date().toISOString() });
const localStock = async (store: LocalStore, productID: string) => Number((await store.transaction((tx) => tx.list('inventory.stock_items', { product_id: productID })))[0]?.on_hand ?? 0);
const serverStock = async (productID: string) => Number((await backend.database.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where product_id = $1', [productID])).rows[0]?.on_hand ?? 0);

test('two devices adjusting the same stock concurrently, one of them offline for a while, converge and each sees the other’s movements', async () => {
  const productID = products[0]!;
  const a = await device('pglite');
  const b = await device('dexie');
  await Promise.all([a.client.ready(), b.client.ready()]);
  b.network.down();
  const deltas = { a: [3, -1, 4, 1, -5, 9], b: [2, 6, -5, 3, 5, -8] };
  for (let i = 0; i < deltas.a.length; i++) {
    await Promise.all([a.client.mutate('stock.adjust', adjust(productID, deltas.a[i]!)), b.client.mutate('stock.adjust', adjust(productID, deltas.b[i]!))]);
    if (i === 3) b.network.up();
  }
  const total = [...deltas.a, ...deltas.b].reduce((sum, delta) => sum + delta, 0);
  await until(() => [a.client.status.pending, b.client.status.pending], ([x, y]) => x === 0 && y === 0, 'both queues to drain');
  expect(await serverStock(productID)).toBe(total);
  for (const { store } of [a, b]) {
    await until(() => localStock(store, productID), (onHand) => onHand === total, `${store.kind} to show ${total}`);
    const movements = await store.transaction((tx) => tx.list('inventory.movements', { product_id: productID }));
    expect(movements).toHaveLength(12);
  }
});

test('a mutation the server rejects loses its optimistic effect, lands in the outcomes inbox, and later mutations still apply', async () => {
  const doomed = randomUUID();
  await backend.database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'GONE-1', 'Discontinued', 100)`, [doomed]);
  const { client, store, network } = await device('dexie');
  await client.ready();
  await until(() => store.transaction((tx) => tx.get('catalog.products', doomed)), (row) => row !== undefined, 'the product to sync');
  network.down();
  // Meanwhile the product is deleted on the server; the device, offline, still has it.
  await backend.database.db.query('delete from catalog.products where id = $1', [doomed]);
  const refused = adjust(doomed, 4);
  const fine = adjust(products[1]!, 2);
  await client.mutate('stock.adjust', refused);
  await client.mutate('stock.adjust', fine);
  expect(await store.transaction((tx) => tx.get('inventory.movements', refused.adjustmentID))).toBeDefined();

  const heard: string[] = [];
  client.onOutcome((outcome) => heard.push(outcome.code ?? ''));
  network.up();
  client.pushNow();
  await until(() => client.status.pending, (pending) => pending === 0, 'the queue to drain');
  expect(await store.transaction((tx) => tx.get('inventory.movements', refused.adjustmentID))).toBeUndefined();
  expect(await store.transaction((tx) => tx.list('inventory.stock_items', { product_id: doomed }))).toEqual([]);
  expect(await store.transaction((tx) => tx.get('inventory.movements', fine.adjustmentID))).toMatchObject({ quantity: 2 });
  const outcomes = await client.outcomes();
  expect(outcomes).toMatchObject([{ mutationID: 1, name: 'stock.adjust', status: 'rejected', code: 'NOT_FOUND' }]);
  expect(heard).toEqual(['NOT_FOUND']);
});

test('a server answering garbage is reported and nothing pending is lost; the real server then gets everything once', async () => {
  const { client, store, network } = await device('pglite');
  await client.ready();
  network.redirect(garbageURL);
  const mutation = adjust(products[2]!, 5);
  const before = await serverStock(products[2]!);
  await client.mutate('stock.adjust', mutation);
  await until(() => client.status.lastError, (error) => error?.code === 'BAD_RESPONSE', 'the push to report the broken answer');
  expect(client.status.pending).toBe(1);
  expect((await store.transaction((tx) => tx.listPending())).map((pending) => pending.id)).toEqual([1]);
  network.redirect(undefined);
  client.pushNow();
  await until(() => client.status.pending, (pending) => pending === 0, 'the queue to drain');
  expect(await serverStock(products[2]!)).toBe(before + 5);
});

test('an expired session asks for a login, keeps the pending mutations, and a new login pushes them', async () => {
  const picker = { warehouse_id: warehouseID, sub: randomUUID() };
  const expired = { accessToken: await backend.server.token('warehouse', picker, -60), refreshToken: 'revoked-refresh-token' };
  const fresh = await device('dexie', { accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' });
  await fresh.client.ready();
  await fresh.client.stop(); // the app restarts days later; its session has expired meanwhile
  const { client } = await device('dexie', expired, fresh.store);
  await until(() => client.status.needsLogin, (needsLogin) => needsLogin, 'the client to ask for a login');
  expect(client.status.lastError?.code).toBe('SESSION_EXPIRED');
  const mutation = adjust(products[0]!, 1);
  const before = await serverStock(products[0]!);
  await client.mutate('stock.adjust', mutation);
  expect(client.status.pending).toBe(1);
  // Someone else cannot take over the device's pending changes; the same picker can.
  await expect(client.login({ accessToken: await backend.server.token('warehouse', { warehouse_id: warehouseID }), refreshToken: 'unused' })).rejects.toMatchObject({ code: 'DIFFERENT_USER' });
  await client.login({ accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' });
  await until(() => client.status.pending, (pending) => pending === 0, 'the queue to drain after the login');
  expect(client.status.needsLogin).toBe(false);
  expect(await serverStock(products[0]!)).toBe(before + 1);
});

test('a device an admin revokes stops and forgets everything it held: synced rows, unsent changes, its login', async () => {
  const email = `revoked-${randomUUID().slice(0, 8)}@niaga.test`;
  await backend.database.db.query(`insert into auth.users (email, password_hash, name, role, warehouse_id) values ($1, $2, 'Revoked Picker', 'warehouse', $3)`, [email, await hashPassword('a-long-password'), warehouseID]);
  const login = await fetch(`${backend.server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'a-long-password' }) });
  const tokens = (await login.json()) as SessionTokens;
  const { client, store, network } = await device('pglite', tokens);
  await client.ready();
  expect((await store.transaction((tx) => tx.list('catalog.products', {}))).length).toBeGreaterThan(0);
  network.down();
  const before = await serverStock(products[1]!);
  await client.mutate('stock.adjust', adjust(products[1]!, 3));
  expect(client.status.pending).toBe(1);

  const sid = (JSON.parse(Buffer.from(tokens.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
  const revoke = await fetch(`${backend.server.baseUrl}/api/v1/auth/sessions/${sid}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${await backend.server.token('admin')}` } });
  expect(revoke.status).toBe(204);
  network.up();
  client.reconnect();
  await until(() => client.status.revoked, (revoked) => revoked, 'the client to learn it was revoked');
  expect(client.status).toMatchObject({ needsLogin: true, pending: 0, phase: 'stopped', lastError: { code: 'DEVICE_REVOKED' } });
  for (const table of [...tables, 'sync.clients']) expect(await store.transaction((tx) => tx.list(table, {})), table).toEqual([]);
  expect(await store.transaction((tx) => tx.listPending())).toEqual([]);
  expect(await store.transaction((tx) => tx.getMeta('auth:session'))).toBeUndefined();
  expect(client.actor()).toBeUndefined();
  await expect(client.login(tokens)).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });
  await expect(client.mutate('stock.adjust', adjust(products[1]!, 1))).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });
  expect(await store.transaction((tx) => tx.listPending())).toEqual([]);
  expect(await serverStock(products[1]!)).toBe(before);
});

test('a device told it was revoked that stopped before deleting its data deletes it when it starts again', async () => {
  const { client, store } = await device('dexie');
  await client.ready();
  await client.mutate('stock.adjust', adjust(products[2]!, 1));
  await client.stop();
  // What the session saves at once when the refresh answers DEVICE_REVOKED, before the deletion.
  const saved = await store.transaction((tx) => tx.getMeta<{ actor: unknown }>('auth:session'));
  await store.transaction((tx) => tx.setMeta('auth:session', { tokens: null, actor: saved!.actor, revoked: true }));
  const restarted = await device('dexie', undefined, store);
  await until(() => restarted.client.status.revoked, (revoked) => revoked, 'the restarted client to finish the deletion');
  for (const table of tables) expect(await store.transaction((tx) => tx.list(table, {})), table).toEqual([]);
  expect(await store.transaction((tx) => tx.listPending())).toEqual([]);
  expect(await store.transaction((tx) => tx.getMeta('auth:session'))).toBeUndefined();
});

test('a corrupt database deleted with unsent work loses none of it: a new one takes the queue over from the journal and sends it once', async () => {
  const picker = { warehouse_id: warehouseID, sub: randomUUID() };
  const journal = memoryJournal();
  const first = await device('dexie', { accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' }, undefined, journal);
  await first.client.ready();
  first.network.down();
  const before = await serverStock(products[0]!);
  for (const delta of [1, 2, 3]) await first.client.mutate('stock.adjust', adjust(products[0]!, delta));
  expect(journal.read()?.mutations.map((mutation) => mutation.id)).toEqual([1, 2, 3]);
  await first.client.stop();
  // The database cannot be opened any more and is deleted: a new, empty one, the same journal.
  const { client } = await device('dexie', undefined, await openStore('dexie'), journal);
  expect(client.status).toMatchObject({ pending: 3, needsLogin: true });
  // Only the user whose work it is may send it.
  await expect(client.login({ accessToken: await backend.server.token('warehouse', { warehouse_id: warehouseID }), refreshToken: 'unused' })).rejects.toMatchObject({ code: 'DIFFERENT_USER' });
  await client.login({ accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' });
  await until(() => client.status.pending, (pending) => pending === 0, 'the restored queue to drain');
  expect(await serverStock(products[0]!)).toBe(before + 6);
  await until(() => journal.read(), (record) => record === undefined, 'the journal to empty once the server has everything');
});

test('a device resuming from an offset the server compacted away refetches (409) and ends with the server’s rows', async () => {
  const first = await device('pglite');
  await first.client.ready();
  await first.client.stop();
  const added = randomUUID();
  await backend.database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, $2, 'New tea', 300)`, [added, `NEW-${added.slice(0, 8)}`]);
  await backend.logCaughtUp();
  await backend.database.db.query(`update sync.change_log set logged_at = now() - interval '2 hours'`);
  await backend.database.db.query(`update sync.shape_handles set used_at = now() - interval '2 hours'`);
  await compactChangeLog(backend.database.db, 3600_000);

  const again = await device('pglite', undefined, first.store); // the session saved in the store
  await until(() => again.store.transaction((tx) => tx.get('catalog.products', added)), (row) => row !== undefined, 'the refetched products', 30_000);
  const local = await again.store.transaction((tx) => tx.list('catalog.products', {}));
  const { rows: server } = await backend.database.db.query<{ id: string }>('select id from catalog.products order by id');
  expect(local.map((row) => row.id)).toEqual(server.map((row) => row.id));
});
