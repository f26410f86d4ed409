/** Tables, rows and the store harness the contract suite shares. */
import { afterAll, afterEach } from 'vitest';
import type { LocalRow, LocalStore, PendingMutation, TableSpec } from '../local-store.ts';

/**
 * Opens a store for the suite. Without a name: a new, empty store. With a name: the store of that
 * name, created empty the first time and, opened again after close(), holding everything committed
 * to it (as after an app restart).
 */
export type OpenStore = (name?: string) => Promise<LocalStore>;

/** A shared store and this test's own copies of the products and stock tables. */
export interface WithTables {
  readonly store: LocalStore;
  readonly products: TableSpec;
  readonly stock: TableSpec;
}

export interface Harness {
  /**
   * The store most tests share (opening a store is slow on some adapters), with fresh copies of
   * the products and stock tables under names no other test uses. Its pending queue is emptied.
   */
  withTables(): Promise<WithTables>;
  /** `spec` under a name no other test uses (`schema.table_<n>`). */
  own(spec: TableSpec): TableSpec;
  /** A meta key no other test uses. */
  key(name: string): string;
  /** A new, empty store of its own, closed after the test. */
  open(): Promise<LocalStore>;
  /** The store `name` (see OpenStore), closed after the test. */
  openNamed(name: string): Promise<LocalStore>;
  /** A store name no other test uses. */
  uniqueName(): string;
  /** Closes `store` now, as a test that goes on without it. */
  close(store: LocalStore): Promise<void>;
  /** Subscribes `listener` until the end of the test. */
  listen(store: LocalStore, listener: (tables: ReadonlySet<string>) => void): () => void;
}

export function harness(openStore: OpenStore): Harness {
  const opened = new Set<LocalStore>();
  const subscriptions: (() => void)[] = [];
  let shared: Promise<LocalStore> | undefined;
  afterEach(async () => {
    for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
    const stores = [...opened];
    opened.clear();
    await Promise.all(stores.map((store) => store.close()));
  });
  afterAll(async () => {
    await (await shared)?.close();
  });
  const track = (store: LocalStore) => {
    opened.add(store);
    return store;
  };
  let counter = 0;
  const run = Math.random().toString(36).slice(2, 8);
  const own = (spec: TableSpec): TableSpec => ({ ...spec, name: `${spec.name}_${++counter}` });
  return {
    withTables: async () => {
      const store = await (shared ??= openStore());
      const tables = { products: own(products), stock: own(stock) };
      await store.ensureTables([tables.products, tables.stock]);
      await store.transaction(async (tx) => {
        const last = (await tx.listPending()).at(-1);
        if (last) await tx.deletePendingThrough(last.id);
      });
      return { store, ...tables };
    },
    own,
    key: (name) => `${name}:${++counter}`,
    open: async () => track(await openStore()),
    openNamed: async (name) => track(await openStore(name)),
    uniqueName: () => `contract-${run}-${++counter}`,
    close: async (store) => {
      opened.delete(store);
      await store.close();
    },
    listen: (store, listener) => {
      const unsubscribe = store.subscribe(listener);
      subscriptions.push(unsubscribe);
      return unsubscribe;
    },
  };
}

/** The specs of `names` among the store's tables, in that order. */
export async function specsOf(store: LocalStore, names: readonly string[]): Promise<(TableSpec | undefined)[]> {
  const specs = await store.tables();
  return names.map((name) => specs.find((spec) => spec.name === name));
}

export const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export const products: TableSpec = {
  name: 'catalog.products',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'sku', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'price_minor', type: 'int8' },
    { name: 'active', type: 'bool' },
    { name: 'attributes', type: 'jsonb' },
    { name: 'updated_at', type: 'timestamptz' },
  ],
  indexes: ['sku'],
};

export const stock: TableSpec = {
  name: 'inventory.stock_items',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'warehouse_id', type: 'uuid' },
    { name: 'product_id', type: 'uuid' },
    { name: 'on_hand', type: 'int4' },
    { name: 'counted_at', type: 'timestamptz' },
  ],
  indexes: ['warehouse_id', 'product_id'],
};

/** A product row with every column, as the shape stream gives it. */
export const product = (n: number, overrides: LocalRow = {}): LocalRow => ({
  id: uuid(n),
  sku: `SKU-${String(n).padStart(5, '0')}`,
  name: `Product ${n}`,
  price_minor: 1000 + n,
  active: n % 2 === 0,
  attributes: { colour: 'red', sizes: [n, n + 1] },
  updated_at: '2024-05-01 10:00:00+00',
  ...overrides,
});

export const stockItem = (n: number, overrides: LocalRow = {}): LocalRow => ({
  id: uuid(1000 + n),
  warehouse_id: uuid(1),
  product_id: uuid(n),
  on_hand: n,
  counted_at: '2024-05-01 10:00:00+00',
  ...overrides,
});

export const pendingMutation = (id: number, overrides: Partial<PendingMutation> = {}): PendingMutation => {
  // Not returned as a literal: the suite then keeps compiling while PendingMutation gains fields.
  const mutation = {
    id,
    clientID: 'client-1',
    name: 'stock.count',
    args: { stockItemID: uuid(1001), counted: id, note: 'shelf A', seen: [1, 'two', null] },
    createdAt: `2024-05-01T10:00:0${id % 10}.000Z`,
    undo: [
      { table: stock.name, id: uuid(1001), before: stockItem(1) },
      { table: 'inventory.movements', id: uuid(2000 + id), before: null },
    ],
    reads: { keys: [`${stock.name}/${uuid(1001)}`], lists: [{ table: stock.name, where: { warehouse_id: uuid(1), product_id: [uuid(1), uuid(2)] } }] },
    ...overrides,
  };
  return mutation;
};

const timestampTypes = new Set(['timestamptz', 'timestamp']);

/**
 * `row` as the contract promises it back: every column of `spec` (one the row left out reads as
 * null or absent, stores differ), timestamps by instant (a store may give Postgres's text for an
 * ISO timestamp it was given).
 */
export function comparable(spec: TableSpec, row: LocalRow | undefined): LocalRow | undefined {
  if (!row) return row;
  return Object.fromEntries(
    spec.columns.map((column) => {
      const value = row[column.name] ?? null;
      return [column.name, timestampTypes.has(column.type) && typeof value === 'string' ? { instant: Date.parse(value) } : value];
    }),
  );
}
