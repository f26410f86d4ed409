/**
 * StoreTx over one Dexie read-write transaction. Every call goes to the transaction's own tables
 * (not Dexie's ambient zone), so it stays in that transaction whatever the caller awaited between
 * calls, as long as the transaction is still alive (see DexieStore.transaction).
 */
import type { Table, Transaction } from 'dexie';
import { selectRows, type ListOptions } from '@niaga/mutators';
import { LocalStoreError, type LocalRow, type PendingMutation, type RowModel, type StoreTx } from '../local-store.ts';
import { toLocalStoreError } from './dexie-errors.ts';
import { metaStore, pendingStore, storeOf } from './dexie-schema.ts';

/** A value IndexedDB can look up in an index as the where clause means it (booleans and null are not keys). */
const isKey = (value: unknown): value is string | number => typeof value === 'string' || (typeof value === 'number' && !Number.isNaN(value));

/** Rows per bulkPut in putMany. */
const BULK_ROWS = 5_000;

const byID = (a: LocalRow, b: LocalRow): number => {
  const [x, y] = [String(a.id), String(b.id)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** JSON in, JSON out: what a jsonb column would keep of the value (the PGlite store keeps the same). */
const asJSON = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * list()'s filtering, `after`, `orderBy` and `limit` are MemoryTx's own (selectRows), run over the
 * candidate rows in id order, so ties and an unordered list come in id order as on the server.
 */
const select = (rows: LocalRow[], where: LocalRow, options: ListOptions | undefined): LocalRow[] => selectRows(rows.sort(byID), where, options);

export class DexieStoreTx implements StoreTx {
  /** IndexedDB keeps a structured clone of each row, and list() is selectRows over the rows in id order. */
  readonly model: RowModel = {
    stored: (table, row) => {
      if (typeof row.id !== 'string' || !this.transaction.storeNames.includes(storeOf(table))) return undefined;
      try {
        return structuredClone(row);
      } catch {
        return undefined;
      }
    },
    select: (_table, rows, where, options) => select([...rows], where, options),
  };

  constructor(
    private readonly transaction: Transaction,
    /** The synced tables this transaction wrote, for subscribers once it commits. */
    readonly written: Set<string>,
  ) {}

  private rows(table: string): Table<LocalRow, string> {
    const store = storeOf(table);
    if (!this.transaction.storeNames.includes(store)) throw new LocalStoreError('STORE_FAILED', `There is no local table ${table}: ensureTables() it first`);
    return this.transaction.table<LocalRow, string>(store);
  }

  private async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toLocalStoreError(error, what);
    }
  }

  private write(table: string): Table<LocalRow, string> {
    const rows = this.rows(table);
    this.written.add(table);
    return rows;
  }

  get(table: string, id: string): Promise<LocalRow | undefined> {
    return this.call(`get from ${table}`, () => this.rows(table).get(id));
  }

  getMany(table: string, ids: readonly string[]): Promise<(LocalRow | undefined)[]> {
    return this.call(`get from ${table}`, () => this.rows(table).bulkGet([...ids]));
  }

  list(table: string, where: LocalRow, options?: ListOptions): Promise<LocalRow[]> {
    return this.call(`list ${table}`, async () => select(await this.candidates(this.rows(table), where), where, options));
  }

  /** The rows that may match `where`: by primary key or one index when the where clause allows it, else all. */
  private async candidates(rows: Table<LocalRow, string>, where: LocalRow): Promise<LocalRow[]> {
    const ids: unknown[] | undefined = where.id === undefined ? undefined : Array.isArray(where.id) ? where.id : [where.id];
    if (ids?.every((id) => typeof id === 'string')) {
      const found = await rows.bulkGet([...new Set(ids)]);
      return found.filter((row): row is LocalRow => row !== undefined);
    }
    const indexed = new Set(rows.schema.indexes.map((index) => index.name));
    for (const [column, value] of Object.entries(where)) {
      const keys = Array.isArray(value) ? (value as unknown[]) : [value];
      if (!indexed.has(column) || !keys.every(isKey)) continue;
      // One key range per value: IndexedDB answers each with one getAll, where anyOf walks a cursor.
      const matches = await Promise.all([...new Set(keys)].map((key) => rows.where(column).equals(key).toArray()));
      return matches.flat();
    }
    return rows.toArray();
  }

  put(table: string, row: LocalRow): Promise<void> {
    return this.putMany(table, [row]);
  }

  putMany(table: string, rows: readonly LocalRow[]): Promise<void> {
    return this.call(`put into ${table}`, async () => {
      const bad = rows.find((row) => typeof row.id !== 'string');
      if (bad) throw new LocalStoreError('STORE_FAILED', `A row of ${table} needs a text id, got ${JSON.stringify(bad.id) ?? 'none'}`);
      if (rows.length === 0) return;
      const store = this.write(table);
      // In slices, one after another: an engine may queue a transaction's requests in a list it
      // shifts from the front (fake-indexeddb does: 100k puts in one bulkPut cost ~10 s instead of ~1 s).
      for (let start = 0; start < rows.length; start += BULK_ROWS) await store.bulkPut(rows.slice(start, start + BULK_ROWS));
    });
  }

  /**
   * Dexie keeps a transaction usable after a failed call the work catches (it aborts only on an
   * uncaught one), so there is nothing to set up; the engine undoes the work's writes itself.
   */
  attempt<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  delete(table: string, id: string): Promise<void> {
    return this.call(`delete from ${table}`, () => this.write(table).delete(id));
  }

  deleteMany(table: string, ids: readonly string[]): Promise<void> {
    return this.call(`delete from ${table}`, async () => {
      if (ids.length > 0) await this.write(table).bulkDelete([...ids]);
    });
  }

  clear(table: string): Promise<void> {
    return this.call(`clear ${table}`, () => this.write(table).clear());
  }

  getMeta<T>(key: string): Promise<T | undefined> {
    return this.call(`read meta ${key}`, () => this.transaction.table<T, string>(metaStore).get(key));
  }

  setMeta(key: string, value: unknown): Promise<void> {
    return this.call(`write meta ${key}`, async () => {
      const meta = this.transaction.table<unknown, string>(metaStore);
      if (value === undefined) await meta.delete(key);
      else await meta.put(asJSON(value), key);
    });
  }

  listPending(): Promise<PendingMutation[]> {
    return this.call('list pending mutations', () => this.transaction.table<PendingMutation, number>(pendingStore).toArray());
  }

  putPending(mutation: PendingMutation): Promise<void> {
    return this.putPendingMany([mutation]);
  }

  putPendingMany(mutations: readonly PendingMutation[]): Promise<void> {
    return this.call(`put ${mutations.length} pending mutation(s)`, async () => {
      const bad = mutations.find((mutation) => !Number.isSafeInteger(mutation.id));
      if (bad) throw new LocalStoreError('STORE_FAILED', `A pending mutation needs an integer id, got ${JSON.stringify(bad.id)}`);
      if (mutations.length > 0) await this.transaction.table<PendingMutation, number>(pendingStore).bulkPut(mutations.map(asJSON));
    });
  }

  deletePendingThrough(lastMutationID: number): Promise<void> {
    return this.call(`delete pending mutations through ${lastMutationID}`, async () => {
      await this.transaction.table<PendingMutation, number>(pendingStore).where(':id').belowOrEqual(lastMutationID).delete();
    });
  }
}
