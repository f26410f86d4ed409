/**
 * Device stores for the client-library benchmarks (client-initial-sync.ts, client-rebase.ts),
 * from the library as client-library.ts loads it (bundled unless BUNDLED=0):
 * the PGlite store started from a dumped empty database (no initdb), the Dexie store on a fresh
 * fake-indexeddb per store, a raw PGlite like the store's for baselines, a content digest that
 * compares any two stores row for row, and a full GC between measured runs.
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PGlite } from '@electric-sql/pglite';
import type { LocalRow, LocalStore } from '@niaga/sync';
import type { DexieStoreOptions } from '@niaga/sync/dexie';
import * as fakeIndexedDB from 'fake-indexeddb';
import { clientLibrary } from './client-library.ts';

export type StoreKind = 'pglite' | 'dexie';

// fake-indexeddb's types are the DOM's, which Node code does not see (as in dexie-store.test.ts).
const fake = fakeIndexedDB as unknown as { IDBFactory: new () => NonNullable<DexieStoreOptions['indexedDB']>; IDBKeyRange: NonNullable<DexieStoreOptions['IDBKeyRange']> };

/** A dump of an empty PGlite database (made once per process): new stores load it instead of running initdb. */
export const pgliteTemplate = (): Promise<Blob> => clientLibrary.emptyDatabase();

let opened = 0;

/** A new, empty store as an app opens it: PGlite in memory from the template, or Dexie on its own fake IndexedDB. */
export function openStore(kind: StoreKind, template: Blob): Promise<LocalStore> {
  if (kind === 'pglite') return clientLibrary.openPgliteStore({ template });
  // A fresh factory per store: the previous run's database (held in memory by its factory) can go.
  return clientLibrary.openDexieStore({ name: `bench-device-${++opened}`, indexedDB: new fake.IDBFactory(), IDBKeyRange: fake.IDBKeyRange });
}

/**
 * A raw PGlite for baselines, opened as openPgliteStore opens its own (from the template, with
 * the same type parsers: int8 as numbers, dates, timestamps and numerics as text), and the store
 * over it, so baselines write into exactly the tables the store creates and read back the same values.
 */
export async function openRawPglite(template: Blob): Promise<{ db: PGlite; store: LocalStore }> {
  const db = new PGlite({ loadDataDir: template, parsers: storeParsers });
  await db.waitReady;
  return { db, store: await clientLibrary.openPgliteStore({ db }) };
}

/** The parsers of `openPgliteStore` (clients/sync/src/pglite/pglite-store.ts), for a PGlite the store is given. */
const storeParsers = {
  20: (value: string) => Number(value),
  1082: (value: string) => value,
  1114: (value: string) => value,
  1184: (value: string) => value,
  1700: (value: string) => value,
};

/** Rows and a SHA-256 over every row (keys sorted, rows in id order): equal digests mean equal contents. */
export async function contentDigest(store: LocalStore, table: string): Promise<{ rows: number; digest: string }> {
  const rows = await store.transaction((tx) => tx.list(table, {}));
  const hash = createHash('sha256');
  for (const row of [...rows].sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1))) hash.update(`${canonical(row)}\n`);
  return { rows: rows.length, digest: hash.digest('hex').slice(0, 16) };
}

function canonical(row: LocalRow): string {
  return JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))));
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full GC, so one run's garbage is not collected during the next one's measurement. */
export function collectGarbage(): void {
  gc();
  gc();
}
