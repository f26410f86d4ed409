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
  'inventory.stock_items',
  'inventory.movements',
  'inventory.transfers',
  'inventory.transfer_lines',
  'inventory.count_lines',
  'customers.customers',
  'customers.addresses',
  'customers.wishlists',
] as const;
export type MutableTable = (typeof mutableTables)[number];

/** Tables mutators read but never write (reference data the device syncs). */
export const referenceTables = ['catalog.products', 'catalog.variants', 'catalog.price_history', 'inventory.warehouses', 'inventory.bins'] as const;
export type ReferenceTable = (typeof referenceTables)[number];
export type ReadableTable = MutableTable | ReferenceTable;

export type Row = Readonly<Record<string, unknown>>;

export interface MutationTx {
  /** 'device' for the optimistic run, 'server' for the authoritative one. */
  readonly location: 'device' | 'server';
  get(table: ReadableTable, id: string): Promise<Row | undefined>;
  /** Rows whose columns equal every given value, in no particular order. */
  list(table: ReadableTable, where: Row): Promise<Row[]>;
  /** Inserts a new row; `row.id` is required. */
  insert(table: MutableTable, row: Row): Promise<void>;
  /** Changes the given columns of an existing row (no-op if it does not exist). */
  update(table: MutableTable, id: string, patch: Row): Promise<void>;
  delete(table: MutableTable, id: string): Promise<void>;
}
