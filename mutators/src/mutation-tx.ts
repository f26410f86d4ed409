/**
 * The small transaction interface every mutator is written against. The device implements it
 * over its local store (PGlite, Dexie, Replicache) for the optimistic run; the server implements
 * it over a Postgres transaction for the authoritative run. Rows are plain objects keyed by the
 * Postgres column names, every table has a uuid `id` primary key.
 */
export const mutableTables = [
  'orders.orders',
  'orders.order_items',
  'orders.carts',
  'orders.cart_items',
  'orders.pick_lists',
  'orders.pick_lines',
  'orders.payments',
  'inventory.stock_items',
  'inventory.movements',
  'inventory.transfers',
  'inventory.transfer_lines',
  'inventory.count_lines',
  'inventory.reservations',
  'customers.customers',
  'customers.addresses',
  'customers.wishlists',
] as const;
export type MutableTable = (typeof mutableTables)[number];

/** Tables mutators read but never write (reference data the device syncs). */
export const referenceTables = ['catalog.products', 'catalog.variants', 'catalog.price_history', 'inventory.warehouses', 'inventory.bins', 'agents.territories'] as const;
export type ReferenceTable = (typeof referenceTables)[number];
export type ReadableTable = MutableTable | ReferenceTable;

export type Row = Readonly<Record<string, unknown>>;

export interface ListOptions {
  readonly lock?: boolean;
  /** Only rows whose column is greater than this value (timestamps as ISO strings). */
  readonly after?: readonly [column: string, value: string];
  readonly orderBy?: readonly [column: string, direction: 'asc' | 'desc'];
  readonly limit?: number;
}

export interface MutationTx {
  /** 'device' for the optimistic run, 'server' for the authoritative one. */
  readonly location: 'device' | 'server';
  /** The row with this id; with `lock`, locked as for list(). */
  get(table: ReadableTable, id: string, options?: { lock?: boolean }): Promise<Row | undefined>;
  /**
   * Rows whose columns equal every given value (an array value: any of its items), in no
   * particular order unless `orderBy` says. With `lock`, the server
   * locks them until the mutation commits and returns their latest committed values, so a
   * read-modify-write of them cannot lose a concurrent change (the device has no concurrency).
   */
  list(table: ReadableTable, where: Row, options?: ListOptions): Promise<Row[]>;
  /** Inserts a new row; `row.id` is required. With `ifAbsent`, a row already there (same key or unique value) is left as it is. */
  insert(table: MutableTable, row: Row, options?: { ifAbsent?: boolean }): Promise<void>;
  /** Changes the given columns of an existing row (no-op if it does not exist). */
  update(table: MutableTable, id: string, patch: Row): Promise<void>;
  delete(table: MutableTable, id: string): Promise<void>;
}
