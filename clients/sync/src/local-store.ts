/**
 * The contract every device store implements (PGlite, Dexie): synced tables mirrored locally,
 * a little metadata, and the durable queue of pending mutations, all changed together in one
 * local transaction. The sync engine (rebase, queue, push) is written once against it.
 *
 * Rows are plain objects keyed by column name, as the shape stream parses them: text, numbers
 * (int8 included, as a JS number), booleans, JSON values and null; timestamps stay Postgres text.
 * Every synced table has a text/uuid primary key `id`.
 */
import type { ListOptions } from '@niaga/mutators';

export type LocalRow = Record<string, unknown>;

/** A column as the shape's `electric-schema` header describes it (Postgres type name, e.g. `int8`, `timestamptz`). */
export interface ColumnSpec {
  readonly name: string;
  readonly type: string;
  /** Array dimensions (1 for `text[]`); absent for scalars. */
  readonly dims?: number;
}

/** A synced table on the device: `schema.table`, its columns, and the columns apps query by (indexed where the store can). */
export interface TableSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  readonly indexes?: readonly string[];
}

/** What to put back to undo a mutation's optimistic effect on one row: its image before (null: it did not exist). */
export interface UndoEntry {
  readonly table: string;
  readonly id: string;
  readonly before: LocalRow | null;
}

/** What a mutation read: rows by key (`table/id`) and `list` queries, to tell whether a server change could alter its outcome. */
export interface ReadSet {
  readonly keys: readonly string[];
  readonly lists: readonly { readonly table: string; readonly where: LocalRow }[];
}

/** A mutation the device ran optimistically and the server has not confirmed yet. */
export interface PendingMutation {
  /** Per-client mutation id: 1, 2, 3, … */
  readonly id: number;
  readonly clientID: string;
  readonly name: string;
  readonly args: unknown;
  /** The device clock when it ran, ISO. */
  readonly createdAt: string;
  /** Undo entries in the order they were recorded (undo applies them in reverse). */
  readonly undo: readonly UndoEntry[];
  readonly reads: ReadSet;
}

/**
 * How a store keeps and selects rows, so the engine can hold a transaction's writes in memory and
 * still answer reads exactly as the store would (the rebase's replay, `row-overlay.ts`). Each
 * answer is either exact or undefined ("ask the store").
 */
export interface RowModel {
  /** The row get() returns after put(table, row), or undefined when only the store can tell (or it would refuse the row). */
  stored(table: string, row: LocalRow): LocalRow | undefined;
  /**
   * What list(table, where, options) returns when the table's rows matching `where` are among
   * `rows` (rows in stored form; others may be there too), or undefined when only the store can
   * evaluate that query exactly.
   */
  select(table: string, rows: readonly LocalRow[], where: LocalRow, options: ListOptions): LocalRow[] | undefined;
}

export interface StoreTx {
  /** See RowModel. */
  readonly model: RowModel;
  get(table: string, id: string): Promise<LocalRow | undefined>;
  /** get() of each id, in one call: the rows in the order of `ids`, undefined where there is none. */
  getMany(table: string, ids: readonly string[]): Promise<(LocalRow | undefined)[]>;
  /**
   * Same semantics as MutationTx.list (an array value matches any item; `after`, `orderBy`,
   * `limit`); `lock` is ignored. Ties, and lists without `orderBy`, come in id order (as on the
   * server), so a mutator picks the same row on the device and the server.
   */
  list(table: string, where: LocalRow, options?: ListOptions): Promise<LocalRow[]>;
  /** Inserts or replaces the whole row (by `id`). */
  put(table: string, row: LocalRow): Promise<void>;
  /** Many puts at once: the fast path for snapshot pages (COPY or multi-row statements, bulkPut). */
  putMany(table: string, rows: readonly LocalRow[]): Promise<void>;
  delete(table: string, id: string): Promise<void>;
  /** delete() of each id, in one call. */
  deleteMany(table: string, ids: readonly string[]): Promise<void>;
  /**
   * Runs `work` so that, if it throws, the transaction stays usable (a savepoint in SQL stores;
   * stores whose failed writes do not spoil the transaction may just run it). The engine undoes
   * the work's own writes from its recorded images, so rolling them back here is optional.
   */
  attempt<T>(work: () => Promise<T>): Promise<T>;
  /** Every row of the table goes (a must-refetch). */
  clear(table: string): Promise<void>;

  getMeta<T>(key: string): Promise<T | undefined>;
  /** JSON-serialisable value; undefined removes the key. */
  setMeta(key: string, value: unknown): Promise<void>;

  /** The pending mutations, by id ascending. */
  listPending(): Promise<PendingMutation[]>;
  /** Inserts or replaces (by id) a pending mutation. */
  putPending(mutation: PendingMutation): Promise<void>;
  /** putPending() of each mutation, in one call. */
  putPendingMany(mutations: readonly PendingMutation[]): Promise<void>;
  /** Removes the pending mutations with id ≤ `lastMutationID`. */
  deletePendingThrough(lastMutationID: number): Promise<void>;
}

export interface LocalStore {
  /** Which adapter: for messages and benchmarks. */
  readonly kind: 'pglite' | 'dexie';
  /** Creates the local tables that do not exist and adds columns that are new; never drops data. Idempotent. */
  ensureTables(tables: readonly TableSpec[]): Promise<void>;
  /** The tables ensured so far (survives a restart). */
  tables(): Promise<TableSpec[]>;
  /**
   * Runs `work` in one local transaction: all of its writes land, or (if it throws) none do.
   * Transactions never interleave. Inside `work`, await only this StoreTx's calls (or functions
   * that await only those): IndexedDB commits as soon as the work waits on anything else (a
   * timer, fetch, crypto.subtle). Never call the store itself from inside its transaction.
   */
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Calls `listener` after every committed transaction that wrote to one of the tables (for live queries). */
  subscribe(listener: (tables: ReadonlySet<string>) => void): () => void;
  close(): Promise<void>;
}

export const localStoreErrorCodes = ['STORE_CORRUPT', 'STORE_QUOTA', 'STORE_CLOSED', 'STORE_FAILED', 'STORE_IN_USE'] as const;

/**
 * The store cannot be read or written (corrupt, quota, closed, or in use by another tab that
 * cannot share it); `cause` is the engine's error.
 */
export class LocalStoreError extends Error {
  override readonly name = 'LocalStoreError';
  constructor(
    readonly code: (typeof localStoreErrorCodes)[number],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
