/**
 * LocalStore over IndexedDB through Dexie: one object store per synced table, `_meta` and
 * `_pending` beside them (see dexie-schema.ts). A transaction is one Dexie read-write transaction
 * over every object store.
 *
 * The rule callers must keep: IndexedDB commits a transaction as soon as no request is pending
 * when control returns to the event loop. Inside `transaction(work)`, await only the StoreTx's
 * calls (and functions that themselves await only those): no timers, fetch, crypto.subtle, other
 * stores or other transactions. A violation makes the next call fail with a LocalStoreError that
 * says so, and the writes made before it may already have been committed.
 *
 * Transactions, ensureTables and tables() run one at a time per store instance. Listeners hear the
 * synced tables each committed transaction wrote, right after it commits, and also the writes of
 * other instances on the same database (other tabs, other workers) through a BroadcastChannel.
 */
import Dexie, { type DexieOptions } from 'dexie';
import { LocalStoreError, type LocalStore, type StoreTx, type TableSpec } from '../local-store.ts';
import { toLocalStoreError } from './dexie-errors.ts';
import { baseStores, isSpecList, lacks, mergeSpecs, metaStore, openWith, tablesKey, wantedStores } from './dexie-schema.ts';
import { DexieStoreTx } from './dexie-store-tx.ts';
import { isTableList, notifyListeners, openStoreChannel, type StoreChannel } from '../store-channel.ts';

export interface DexieStoreOptions {
  /** The IndexedDB database name (one per user and device, say). */
  readonly name: string;
  /** An IndexedDB other than the global one (fake-indexeddb in tests). */
  readonly indexedDB?: DexieOptions['indexedDB'];
  readonly IDBKeyRange?: DexieOptions['IDBKeyRange'];
}

/** Runs tasks one at a time, in the order they were asked for. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export async function openDexieStore(options: DexieStoreOptions): Promise<LocalStore> {
  const dexieOptions: DexieOptions = {
    // Dexie's in-memory cache serves liveQuery, which the store does not use; it would hold a copy of every page written.
    cache: 'disabled',
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
  };
  try {
    return new DexieStore(options.name, dexieOptions, await openWith(options.name, dexieOptions, baseStores));
  } catch (error) {
    throw toLocalStoreError(error, `Could not open the local database ${options.name}`);
  }
}

/**
 * Deletes the local database (a reset: after STORE_CORRUPT, or when another user takes over the
 * device). Its pending mutations go with it; the next sync fetches everything again.
 */
export async function deleteDexieStore(options: DexieStoreOptions): Promise<void> {
  const db = new Dexie(options.name, { ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}), ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}) });
  try {
    await db.delete();
  } catch (error) {
    throw toLocalStoreError(error, `Could not delete the local database ${options.name}`);
  }
}

class DexieStore implements LocalStore {
  readonly kind = 'dexie' as const;
  private readonly queue = new Queue();
  private readonly listeners = new Set<{ readonly listener: (tables: ReadonlySet<string>) => void }>();
  private readonly channel: StoreChannel | undefined;
  private closed = false;
  /** Why calls are refused though close() was not called: the database was deleted under the store. */
  private gone: string | undefined;
  /** The connection was closed under the store (another connection upgraded the database, or the browser closed it): reopen before the next call. */
  private stale = false;

  constructor(
    private readonly name: string,
    private readonly options: DexieOptions,
    private db: Dexie,
  ) {
    this.watch(db);
    this.channel = openStoreChannel(`@niaga/sync/dexie:${name}`);
    if (this.channel) {
      this.channel.onmessage = (event) => {
        if (!this.closed && isTableList(event.data)) this.notify(new Set(event.data));
      };
    }
  }

  private watch(db: Dexie): void {
    // Dexie closes the connection when another one upgrades or deletes the database, and when the
    // browser closes it (storage cleared, a disk failure); either way it fires 'close'.
    db.on('close', () => {
      if (db === this.db) this.stale = true;
    });
  }

  /** Runs `task` in turn with the database open and current; refuses calls from inside a transaction, which would wait for themselves. */
  private exclusive<T>(what: string, task: (db: Dexie) => Promise<T>): Promise<T> {
    if (this.closed || this.gone) return Promise.reject(this.closedError(what));
    if (Dexie.currentTransaction?.db === this.db) {
      return Promise.reject(new LocalStoreError('STORE_FAILED', `${what} was called inside a transaction of the same store; it would wait for that transaction forever`));
    }
    return this.queue.run(async () => {
      if (this.closed || this.gone) throw this.closedError(what);
      if (this.stale) await this.replace(baseStores);
      return task(this.db);
    });
  }

  private closedError(what: string): LocalStoreError {
    return new LocalStoreError('STORE_CLOSED', this.closed ? `${what}: the local database ${this.name} is closed` : `${what}: ${this.gone}`);
  }

  /** Reopens the database with at least `wanted`, upgrading it if needed; refuses for good if it was deleted meanwhile. */
  private async replace(wanted: ReturnType<typeof wantedStores>): Promise<void> {
    this.db.close();
    this.stale = true;
    try {
      this.db = await openWith(this.name, this.options, wanted, true);
    } catch (error) {
      if (error instanceof LocalStoreError && error.code === 'STORE_CLOSED') this.gone = error.message;
      throw error;
    }
    this.stale = false;
    this.watch(this.db);
  }

  private async readSpecs(db: Dexie): Promise<TableSpec[]> {
    const value: unknown = await db.table(metaStore).get(tablesKey);
    if (value === undefined) return [];
    if (!isSpecList(value)) throw new LocalStoreError('STORE_CORRUPT', `The table list of ${this.name} is unreadable`);
    return value;
  }

  ensureTables(tables: readonly TableSpec[]): Promise<void> {
    return this.exclusive('ensureTables', async (db) => {
      try {
        const known = await this.readSpecs(db);
        const merged = mergeSpecs(known, tables);
        const wanted = wantedStores(merged);
        if (lacks(db, wanted)) await this.replace(wanted);
        if (JSON.stringify(merged) !== JSON.stringify(known)) await this.db.table(metaStore).put(merged, tablesKey);
      } catch (error) {
        throw toLocalStoreError(error, `Could not create the local tables ${tables.map((table) => table.name).join(', ')}`);
      }
    });
  }

  tables(): Promise<TableSpec[]> {
    return this.exclusive('tables', async (db) => {
      try {
        return await this.readSpecs(db);
      } catch (error) {
        throw toLocalStoreError(error, `Could not read the table list of ${this.name}`);
      }
    });
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.exclusive('transaction', async (db) => {
      const written = new Set<string>();
      let thrown: { readonly error: unknown } | undefined;
      let result: T;
      try {
        result = await Dexie.ignoreTransaction(() =>
          db.transaction('rw', db.tables, async (transaction) => {
            try {
              return await work(new DexieStoreTx(transaction, written));
            } catch (error) {
              thrown = { error };
              throw error;
            }
          }),
        );
      } catch (error) {
        // The work's own error (a LocalStoreError from a call included) reaches the caller as it is.
        if (thrown && thrown.error === error) throw error;
        throw toLocalStoreError(error, `A transaction on ${this.name} did not commit`);
      }
      if (written.size > 0) {
        this.notify(written);
        this.channel?.postMessage([...written]);
      }
      return result;
    });
  }

  subscribe(listener: (tables: ReadonlySet<string>) => void): () => void {
    const entry = { listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  private notify(tables: ReadonlySet<string>): void {
    notifyListeners([...this.listeners].map((entry) => entry.listener), tables);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    if (this.channel) {
      this.channel.onmessage = null;
      this.channel.close();
    }
    // A transaction already running finishes before the connection goes; those still queued fail with STORE_CLOSED.
    await this.queue.run(async () => {
      this.db.close();
    });
  }
}
