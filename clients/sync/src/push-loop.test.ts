import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { openDexieStore } from './dexie/index.ts';
import type { LocalStore } from './local-store.ts';
import { PushLoop } from './push-loop.ts';
import type { Session } from './session.ts';
import { fakeIDB } from './test-support/test-helpers.ts';

test('a push loop stopped while it reads its queue stops at once, not after its idle wait', async () => {
  const store = await openDexieStore({ name: `push-loop-${randomUUID()}`, indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange });
  let reading!: () => void;
  const readingQueue = new Promise<void>((resolve) => (reading = resolve));
  // The queue is read slowly: the stop comes while the loop is in the middle of a round.
  const slowStore: LocalStore = Object.assign(Object.create(store) as LocalStore, {
    transaction: async <T>(fn: Parameters<LocalStore['transaction']>[0]) => {
      reading();
      await new Promise((resolve) => setTimeout(resolve, 100));
      return store.transaction(fn) as Promise<T>;
    },
  });
  const loop = new PushLoop({
    serverURL: 'http://127.0.0.1:1',
    clientGroupID: 'group',
    store: slowStore,
    session: {} as Session, // unused: nothing is queued, so nothing is sent
    fetch: () => Promise.reject(new Error('nothing is queued: nothing may be sent')),
    backoff: { initialMs: 10, maxMs: 10 },
    onResult: () => {},
  });
  try {
    loop.start();
    await readingQueue;
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
  } finally {
    await store.close();
  }
});
