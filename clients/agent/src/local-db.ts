/**
 * The agent's device database: PGlite in IndexedDB, one per browser profile. Screens query it
 * with SQL (search as you type runs here, not on the server) and re-run when sync or a mutation
 * writes the tables they read.
 */
import { PGlite } from '@electric-sql/pglite';
import { LocalStoreError, type LocalStore } from '@niaga/sync';
import { openPgliteStore, pgliteParsers } from '@niaga/sync/pglite';
import { useEffect, useRef, useState } from 'react';

// PGlite 0.5.1 saves and restores `process.exitCode` around every query without checking that
// `process` exists (bundlers used to provide it): browsers get a stand-in that is not Node.
(globalThis as { process?: object }).process ??= { env: {} };

const DATABASE = 'niaga-agent';
let db: PGlite | undefined;

/** PGlite's IndexedDB file system keeps the database under this name. */
const idbName = `/pglite/${DATABASE}`;

/**
 * A new device starts from the empty database shipped with the app (see
 * empty-database-plugin.ts) instead of running initdb; an existing one opens what it has.
 */
async function emptyTemplate(): Promise<Blob | undefined> {
  const existing = await indexedDB.databases?.().catch(() => []);
  if (existing?.some((database) => database.name === idbName)) return undefined;
  const response = await fetch(`${import.meta.env.BASE_URL}pglite-empty.tar.gz`).catch(() => undefined);
  return response?.ok ? response.blob() : undefined;
}

let databaseHeld: Promise<void> | undefined;

/**
 * PGlite keeps the database in memory and writes whole files back to IndexedDB, so two tabs with
 * it open would overwrite each other's writes. One tab at a time holds it (a Web Lock, released
 * when that tab closes or reloads); another is told to use that one.
 */
function holdDatabase(): Promise<void> {
  const locks = (navigator as { locks?: LockManager }).locks;
  if (!locks) return Promise.resolve();
  databaseHeld ??= new Promise<void>((resolve, reject) => {
    void locks.request(`niaga-database:${DATABASE}`, { ifAvailable: true }, (lock) => {
      if (!lock) {
        databaseHeld = undefined; // "Try again" asks anew
        reject(new LocalStoreError('STORE_IN_USE', 'Niaga Agent is open in another tab or window of this browser: use that one, or close it and try again.'));
        return;
      }
      resolve();
      return new Promise<never>(() => {}); // held for as long as this page lives
    });
  });
  return databaseHeld;
}

export async function openAgentStore(): Promise<LocalStore> {
  await holdDatabase();
  const template = await emptyTemplate();
  // The store's value forms (dates and timestamps as text), so screens see what mutators see.
  db = new PGlite(`idb://${DATABASE}`, { parsers: pgliteParsers, ...(template ? { loadDataDir: template } : {}) });
  return openPgliteStore({ db });
}

export async function deleteAgentStore(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(idbName);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error('The database could not be deleted'));
    request.onblocked = () => resolve();
  });
}

export interface SqlResult<T> {
  readonly rows: readonly T[] | undefined;
  readonly error: Error | undefined;
}

/**
 * Runs `sql` with `params` on the device database, and again whenever one of `tables` is written
 * (a sync commit or a local mutation). A query of a table that has not synced yet returns no rows.
 */
export function useSql<T>(store: LocalStore, sql: string, params: readonly unknown[], tables: readonly string[]): SqlResult<T> {
  const [result, setResult] = useState<SqlResult<T>>({ rows: undefined, error: undefined });
  const key = JSON.stringify([sql, params, tables]);
  const generation = useRef(0);

  useEffect(() => {
    const database = db;
    if (!database) return;
    const [text, values, watched] = JSON.parse(key) as [string, unknown[], string[]];
    const run = () => {
      const mine = ++generation.current;
      database.query<T>(text, values).then(
        (answer) => {
          if (mine === generation.current) setResult({ rows: answer.rows, error: undefined });
        },
        (error: unknown) => {
          if (mine !== generation.current) return;
          // Before the first sync a table does not exist yet: that is "no rows", not an error.
          const missing = error instanceof Error && /does not exist/.test(error.message);
          setResult({ rows: missing ? [] : undefined, error: missing ? undefined : (error as Error) });
        },
      );
    };
    const unsubscribe = store.subscribe((written) => {
      if (watched.some((table) => written.has(table))) run();
    });
    run();
    return () => {
      generation.current++;
      unsubscribe();
    };
  }, [store, key]);

  return result;
}
