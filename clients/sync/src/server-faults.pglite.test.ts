/**
 * The client against a server whose answers do not add up: a log that went back (its database
 * restored or replaced) and shape answers whose `electric-schema` does not describe their rows.
 * Real servers on the embedded engine (PGlite + capture triggers), a PGlite device store.
 */
import { randomUUID } from 'node:crypto';
import { startShapeServer } from '@niaga/sync-server/test-support';
import { expect, test } from 'vitest';
import type { LocalStore } from './local-store.ts';
import { emptyDatabase, openPgliteStore } from './pglite/index.ts';
import { pickerTables, seededServerDatabase, useEmbeddedBackend } from './test-support/embedded-backend.ts';
import { until } from './test-support/test-helpers.ts';
import { TestNetwork } from './test-support/network.ts';
import { createSyncClient } from './sync-client.ts';
import { metaKeys } from './rebase.ts';

const backend = useEmbeddedBackend();
const { warehouseID, productID, picker, open } = backend;
const tables = pickerTables;
/** Another migrated server database holding the same warehouse and product. */
const seeded = () => seededServerDatabase(backend);

async function device(fetch: typeof globalThis.fetch, serverURL = backend.server.baseUrl) {
  const store = await openPgliteStore({ template: await emptyDatabase() });
  const session = { accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' };
  const client = await createSyncClient({ serverURL, store, tables, session, fetch, pushBackoff: { initialMs: 20, maxMs: 200 } });
  open.push({ client, store });
  const errors: (string | undefined)[] = [];
  client.onStatus((status) => errors.push(status.lastError?.code));
  return { client, store, errors };
}

const warehouseName = (store: LocalStore) => store.transaction(async (tx) => (await tx.get('inventory.warehouses', warehouseID))?.name);

test('a server whose log went back (its database restored or replaced: positions below what the device committed) is synced again from scratch; its later changes are not dropped as replays', async () => {
  // The device first syncs from a server whose log is well ahead of the replacement's.
  const before = await seeded();
  for (let n = 1; n <= 30; n++) await before.query(`update inventory.warehouses set name = $2 where id = $1`, [warehouseID, `Name ${n}`]);
  const old = await startShapeServer(before);
  try {
    const network = new TestNetwork();
    const { client, store, errors } = await device(network.fetch, old.baseUrl);
    await client.ready();
    expect(await warehouseName(store)).toBe('Name 30');
    const adjustmentID = randomUUID();
    network.down();
    await client.mutate('stock.adjust', { adjustmentID, warehouseID, productID, delta: 2, reason: 'pending over the switch', occurredAt: new Date().toISOString() });

    // The same address now reaches the replacement (a restore from a backup taken before those changes).
    network.redirect(backend.server.baseUrl);
    network.up();
    client.reconnect();
    await until(() => warehouseName(store), (name) => name === 'Main', 'the replacement’s rows');
    await backend.db.query(`update inventory.warehouses set name = 'After the restore' where id = $1`, [warehouseID]);
    await until(() => warehouseName(store), (name) => name === 'After the restore', 'a change made on the replacement', 10_000);
    expect(errors).toContain('LOG_BEHIND');
    await until(async () => client.status.pending, (pending) => pending === 0, 'the pending mutation to reach the replacement', 10_000);
    expect((await backend.db.query('select quantity from inventory.movements where id = $1', [adjustmentID])).rows).toEqual([{ quantity: 2 }]);
    expect(Number(await store.transaction((tx) => tx.getMeta<string>(metaKeys.lsn)))).toBeLessThan(30);
    expect(client.status.lastError).toBeNull();
  } finally {
    await old.close();
    await before.close();
  }
}, 60_000);

/**
 * A fetch whose answers for `table` carry an electric-schema changed by `lie` while `lying()` (the
 * body as the server sent it), as from a proxy or a server build that does not match its rows.
 */
function lyingSchema(table: string, lying: (url: URL) => boolean, lie: (schema: Record<string, { type: string }>) => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const header = response.headers.get('electric-schema');
    if (url.searchParams.get('table') !== table || response.status !== 200 || !header || !lying(url)) return response;
    const schema = JSON.parse(header) as Record<string, { type: string }>;
    lie(schema);
    const headers = new Headers(response.headers);
    headers.set('electric-schema', JSON.stringify(schema));
    return new Response(await response.text(), { status: response.status, statusText: response.statusText, headers });
  };
}

test('answers whose electric-schema leaves out a column their rows have are refused (BAD_RESPONSE), none of their rows committed; once the server answers truly the rows arrive whole', async () => {
  let lying = true;
  const { client, store, errors } = await device(lyingSchema('inventory.warehouses', () => lying, (schema) => delete schema.name));
  await until(async () => errors, (codes) => codes.includes('BAD_RESPONSE'), 'the mismatch to show', 10_000);
  expect(await warehouseName(store).catch(() => undefined)).toBeUndefined();
  lying = false;
  await client.ready();
  const { rows } = await backend.db.query<{ name: string }>('select name from inventory.warehouses where id = $1', [warehouseID]);
  expect(await warehouseName(store)).toBe(rows[0]!.name);
});

test('a snapshot answer whose rows its electric-schema cannot parse (text declared jsonb) is asked for again, not skipped: the table’s rows arrive', async () => {
  let lies = 0;
  const { client, store, errors } = await device(
    lyingSchema(
      'inventory.warehouses',
      (url) => url.searchParams.get('offset') === '-1' && lies++ === 0,
      (schema) => void (schema.name = { type: 'jsonb' }),
    ),
  );
  await client.ready();
  const { rows } = await backend.db.query<{ name: string }>('select name from inventory.warehouses where id = $1', [warehouseID]);
  expect(await warehouseName(store)).toBe(rows[0]!.name);
  expect(lies).toBeGreaterThan(1);
  expect(errors).toContain('BAD_RESPONSE');
});

test('an answer whose offset goes back to an earlier one (same handle) makes the device ask again from there: what comes again is dropped as replays, nothing is lost, and a restart resumes correctly', async () => {
  let firstOffset: string | undefined;
  let rewound = 0;
  const rewinding: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.searchParams.get('table') !== 'inventory.warehouses' || response.status !== 200) return response;
    const offset = response.headers.get('electric-offset') ?? undefined;
    firstOffset ??= offset;
    const body = await response.text();
    const headers = new Headers(response.headers);
    if (rewound === 0 && body.includes('Went back') && firstOffset) {
      rewound++;
      headers.set('electric-offset', firstOffset);
    }
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
  const { client, store, errors } = await device(rewinding);
  await client.ready();
  await backend.db.query(`update inventory.warehouses set name = 'Went back' where id = $1`, [warehouseID]);
  await until(() => warehouseName(store), (name) => name === 'Went back', 'the change that came with an offset gone back');
  await backend.db.query(`update catalog.products set name = 'Tea (rewound)' where id = $1`, [productID]);
  await backend.db.query(`update inventory.warehouses set name = 'Then forward' where id = $1`, [warehouseID]);
  await until(() => warehouseName(store), (name) => name === 'Then forward', 'the next change', 10_000);
  expect(rewound).toBe(1);
  expect(errors.filter((code) => code !== undefined)).toEqual([]);
  await client.stop();

  const again = await createSyncClient({ serverURL: backend.server.baseUrl, store, tables, session: { accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' } });
  open.push({ client: again, store });
  await again.ready();
  await backend.db.query(`update inventory.warehouses set name = 'After the restart' where id = $1`, [warehouseID]);
  await until(() => warehouseName(store), (name) => name === 'After the restart', 'a change after the restart', 10_000);
  expect(await store.transaction(async (tx) => (await tx.get('catalog.products', productID))?.name)).toBe('Tea (rewound)');
});
