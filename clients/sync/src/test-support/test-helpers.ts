/** Helpers the client library's Node tests share. */
import * as fakeIndexedDB from 'fake-indexeddb';
import type { DexieStoreOptions } from '../dexie/index.ts';

/** fake-indexeddb, typed as the Dexie store takes it (its own types are the DOM's, which Node code does not see). */
export const fakeIDB = fakeIndexedDB as unknown as { IDBFactory: new () => NonNullable<DexieStoreOptions['indexedDB']>; IDBKeyRange: NonNullable<DexieStoreOptions['IDBKeyRange']> };

/** Polls `read` until `done` holds; fails naming `what` and the last value read. */
export async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
