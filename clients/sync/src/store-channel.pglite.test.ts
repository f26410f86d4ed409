/**
 * What the stores over one database hear of each other's commits (store-channel.ts), on both
 * adapters: two stores over one database in this process stand for two tabs.
 */
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { expect, test, vi } from 'vitest';
import { openDexieStore } from './dexie/index.ts';
import type { LocalStore, TableSpec } from './local-store.ts';
import { emptyDatabase, openPgliteStore } from './pglite/index.ts';
import { fakeIDB } from './test-support/test-helpers.ts';

const notes: TableSpec = { name: 'test.notes', columns: [{ name: 'id', type: 'text' }, { name: 'body', type: 'text' }] };

/** Per adapter: opens another store over one shared database. */
const sharedDatabases: Record<string, () => Promise<() => Promise<LocalStore>>> = {
  Dexie: async () => {
    const shared = { name: `channel-${randomUUID()}`, indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange };
    return () => openDexieStore(shared);
  },
  PGlite: async () => {
    const db = new PGlite({ loadDataDir: await emptyDatabase() });
    return () => openPgliteStore({ db });
  },
};

test.each(Object.keys(sharedDatabases))('%s: a write already running when its store is closed lands, resolves, and the other stores hear it', async (adapter) => {
  const open = await sharedDatabases[adapter]!();
  const writer = await open();
  const reader = await open();
  await writer.ensureTables([notes]);
  const heard: string[][] = [];
  reader.subscribe((tables) => heard.push([...tables]));
  let inside!: () => void;
  const running = new Promise<void>((resolve) => (inside = resolve));
  const writing = writer.transaction(async (tx) => {
    await tx.put(notes.name, { id: 'n1', body: 'written as the store closed' });
    inside();
    return tx.get(notes.name, 'n1');
  });
  await running;
  const closing = writer.close();
  // It committed: its caller is told so (a rejection would have it record the change again).
  await expect(writing).resolves.toEqual({ id: 'n1', body: 'written as the store closed' });
  await closing;
  await vi.waitFor(() => expect(heard).toEqual([[notes.name]]));
  expect(await reader.transaction((tx) => tx.get(notes.name, 'n1'))).toEqual({ id: 'n1', body: 'written as the store closed' });
  await reader.close();
});
