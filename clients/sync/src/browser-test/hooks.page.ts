/**
 * A small shop page for react/hooks.browser.test.ts: a shopper's wishlist over a Dexie store, kept
 * by a real SyncClient on a device that is offline (its fetch fails as a dropped network does), so
 * mutations run locally and wait in the queue. The test clicks and reads the page; the functions
 * below set it up and stand in for the server's commits by writing to the store.
 */
import { createElement as h, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { definePage } from '@niaga/testing/page';
import { openDexieStore } from '../dexie/dexie-store.ts';
import type { LocalStore, TableSpec } from '../local-store.ts';
import { RESULTS_TABLE } from '../outcomes.ts';
import { useLiveQuery, useMutator, useOutcomes, useSyncStatus } from '../react/index.ts';
import { createSyncClient, type SyncClient } from '../sync-client.ts';

const products: TableSpec = {
  name: 'catalog.products',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'name', type: 'text' },
    { name: 'active', type: 'bool' },
  ],
};
const wishlists: TableSpec = {
  name: 'customers.wishlists',
  columns: ['id', 'customer_id', 'product_id', 'created_at', 'updated_at'].map((name) => ({ name, type: name.endsWith('_at') ? 'timestamptz' : 'uuid' })),
};
const results: TableSpec = {
  name: RESULTS_TABLE,
  columns: ['id', 'client_id', 'mutation_id', 'user_id', 'name', 'status', 'code', 'message', 'details', 'created_at'].map((name) => ({ name, type: name === 'details' ? 'jsonb' : name === 'mutation_id' ? 'int8' : 'text' })),
};

const teaID = '00000000-0000-4000-8000-00000000000a';
const customerID = '00000000-0000-4000-8000-0000000000c1';

/** An access token as the device reads it: claims only (the server verifies the signature). */
function accessToken(claims: Record<string, unknown>): string {
  const base64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}.unsigned`;
}

/** No network: every request fails as a dropped connection does. */
const offline: typeof fetch = () => Promise.reject(new TypeError('Failed to fetch'));

const textOf = (value: unknown): string => (typeof value === 'string' ? value : 'none');

function Shop({ store, client }: { readonly store: LocalStore; readonly client: SyncClient }): ReactNode {
  const wished = useLiveQuery(
    store,
    async (tx) => {
      const rows = await tx.list(wishlists.name, {}, { orderBy: ['created_at', 'asc'] });
      const names: string[] = [];
      for (const row of rows) names.push(textOf((await tx.get(products.name, String(row.product_id)))?.name));
      return names;
    },
    [wishlists.name, products.name],
  );
  const counter = useLiveQuery(store, async (tx) => textOf((await tx.get(products.name, 'counter'))?.name), [products.name]);
  const status = useSyncStatus(client);
  const { mutate, pending, error } = useMutator(client);
  const outcomes = useOutcomes(store);
  const wish = (productID: string) => () => void mutate('wishlist.toggle', { wishlistID: crypto.randomUUID(), productID });
  const code = (error as { code?: string } | undefined)?.code;
  return h(
    'main',
    null,
    h('p', { id: 'status' }, `${status.online ? 'online' : 'offline'}, ${status.pending} pending`),
    h('ul', { id: 'wishlist' }, wished.loading ? h('li', null, 'loading') : (wished.data ?? []).map((name, index) => h('li', { key: index }, name))),
    h('p', { id: 'counter' }, counter.data),
    h('button', { id: 'wish-tea', onClick: wish(teaID) }, 'Wish for tea'),
    h('button', { id: 'wish-unknown', onClick: wish(crypto.randomUUID()) }, 'Wish for something unknown'),
    h('p', { id: 'mutation' }, pending ? 'saving' : error ? `${error.name} ${code ?? ''}: ${error.message}` : 'idle'),
    h('ul', { id: 'outcomes' }, (outcomes.data ?? []).map((outcome) => h('li', { key: outcome.id }, `${outcome.status} ${outcome.name} ${outcome.code ?? ''}`))),
  );
}

let mounted: { readonly root: Root; readonly store: LocalStore; readonly client: SyncClient } | undefined;

definePage({
  async mount() {
    const store = await openDexieStore({ name: `hooks-${crypto.randomUUID()}` });
    await store.ensureTables([products, wishlists]);
    await store.transaction((tx) => tx.put(products.name, { id: teaID, name: 'Tea', active: true }));
    const client = await createSyncClient({
      serverURL: 'http://sync.invalid',
      store,
      tables: [products.name, wishlists.name],
      session: { accessToken: accessToken({ sub: '00000000-0000-4000-8000-0000000000e1', role: 'customer', customer_id: customerID }), refreshToken: 'refresh' },
      fetch: offline,
    });
    const container = (globalThis as unknown as { document: { getElementById(id: string): Element | null } }).document.getElementById('root')!;
    const root = createRoot(container);
    root.render(h(Shop, { store, client }));
    mounted = { root, store, client };
  },
  /** A server commit renames a product. */
  async rename(id: string, name: string) {
    await mounted!.store.transaction((tx) => tx.put(products.name, { id, name, active: true }));
  },
  /** `count` commits one after another, each setting the counter row to its number. */
  async burst(count: number) {
    for (let n = 1; n <= count; n++) await mounted!.store.transaction((tx) => tx.put(products.name, { id: 'counter', name: `count ${n}`, active: true }));
  },
  /** The server's verdicts on mutations arrive, as they would sync into sync.mutation_results. */
  async outcomes(rows: readonly { readonly name: string; readonly status: string; readonly code: string; readonly createdAt: string }[]) {
    await mounted!.store.ensureTables([results]);
    await mounted!.store.transaction((tx) =>
      tx.putMany(
        results.name,
        rows.map((row, index) => ({ id: crypto.randomUUID(), client_id: mounted!.client.clientID, mutation_id: index + 1, user_id: customerID, name: row.name, status: row.status, code: row.code, message: '', details: null, created_at: row.createdAt })),
      ),
    );
  },
  async unmount() {
    if (!mounted) return;
    mounted.root.unmount();
    await mounted.client.stop();
    await mounted.store.close();
    mounted = undefined;
  },
});
