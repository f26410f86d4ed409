/**
 * The IndexedDB layout of a Dexie store: one object store per synced table (`rows:schema.table`,
 * keyPath `id`, an index per TableSpec index), `_meta` (out-of-line keys) and `_pending` (keyPath
 * `id`). Dexie wants every version's schema declared before it opens, so the store opens an
 * existing database as it is (Dexie's dynamic mode) and declares one version up only when object
 * stores or indexes are missing. Nothing is ever deleted: a later schema keeps every store and
 * index already there.
 */
import Dexie, { type DexieOptions } from 'dexie';
import { LocalStoreError, type ColumnSpec, type TableSpec } from '../local-store.ts';

export const metaStore = '_meta';
export const pendingStore = '_pending';
/** The meta key under which the ensured TableSpecs live (reserved: the engine must not use it). */
export const tablesKey = '@niaga/sync/dexie:tables';

export const storeOf = (table: string): string => `rows:${table}`;

/** Object store → the indexes it needs (its primary key is implied by its name). */
export type WantedStores = ReadonlyMap<string, readonly string[]>;

export const baseStores: WantedStores = new Map([
  [metaStore, []],
  [pendingStore, []],
]);

/** Dexie's schema syntax gives meaning to `&`, `*`, `+`, `[` and dots: columns named otherwise are scanned, not indexed. */
const plainColumn = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function wantedStores(specs: readonly TableSpec[]): WantedStores {
  const wanted = new Map(baseStores);
  for (const spec of specs) {
    wanted.set(storeOf(spec.name), [...new Set(spec.indexes ?? [])].filter((column) => column !== 'id' && plainColumn.test(column)));
  }
  return wanted;
}

/** `known` with `added` ensured: new tables appended, new columns and indexes added, nothing dropped. */
export function mergeSpecs(known: readonly TableSpec[], added: readonly TableSpec[]): TableSpec[] {
  const merged = new Map(known.map((spec) => [spec.name, spec]));
  for (const spec of added) {
    const before = merged.get(spec.name);
    if (!before) {
      merged.set(spec.name, copySpec(spec));
      continue;
    }
    const columns = new Map<string, ColumnSpec>(before.columns.map((column) => [column.name, column]));
    for (const column of spec.columns) columns.set(column.name, copyColumn(column));
    const indexes = before.indexes || spec.indexes ? { indexes: [...new Set([...(before.indexes ?? []), ...(spec.indexes ?? [])])] } : {};
    merged.set(spec.name, { name: spec.name, columns: [...columns.values()], ...indexes });
  }
  return [...merged.values()];
}

const copyColumn = (column: ColumnSpec): ColumnSpec => ({ name: column.name, type: column.type, ...(column.dims === undefined ? {} : { dims: column.dims }) });

const copySpec = (spec: TableSpec): TableSpec => ({
  name: spec.name,
  columns: spec.columns.map(copyColumn),
  ...(spec.indexes ? { indexes: [...spec.indexes] } : {}),
});

/** Whether `value` (from the meta store) is a list of TableSpecs. */
export function isSpecList(value: unknown): value is TableSpec[] {
  return (
    Array.isArray(value) &&
    value.every(
      (spec: Partial<TableSpec>) =>
        typeof spec === 'object' &&
        spec !== null &&
        typeof spec.name === 'string' &&
        Array.isArray(spec.columns) &&
        spec.columns.every((column: Partial<ColumnSpec>) => typeof column.name === 'string' && typeof column.type === 'string') &&
        (spec.indexes === undefined || (Array.isArray(spec.indexes) && spec.indexes.every((index) => typeof index === 'string'))),
    )
  );
}

/** Whether the open database lacks an object store or index of `wanted`. */
export function lacks(db: Dexie, wanted: WantedStores): boolean {
  const installed = new Map(db.tables.map((table) => [table.name, new Set(table.schema.indexes.map((index) => index.name))]));
  return [...wanted].some(([store, indexes]) => {
    const have = installed.get(store);
    return !have || indexes.some((index) => !have.has(index));
  });
}

const primaryKeyOf = (store: string): string => (store === metaStore ? '' : 'id');

/** Dexie's schema for the next version: every store and index installed, plus the wanted ones. */
function nextSchema(installed: Dexie | undefined, wanted: WantedStores): Record<string, string> {
  const stores = new Map<string, { primaryKey: string; indexes: Set<string> }>();
  for (const table of installed?.tables ?? []) {
    stores.set(table.name, { primaryKey: table.schema.primKey.src, indexes: new Set(table.schema.indexes.map((index) => index.src)) });
  }
  for (const [store, indexes] of wanted) {
    const entry = stores.get(store) ?? { primaryKey: primaryKeyOf(store), indexes: new Set<string>() };
    for (const index of indexes) entry.indexes.add(index);
    stores.set(store, entry);
  }
  return Object.fromEntries([...stores].map(([store, { primaryKey, indexes }]) => [store, [primaryKey, ...indexes].join(', ')]));
}

/** The database as installed (Dexie's dynamic mode), or undefined if there is none yet. */
async function openInstalled(name: string, options: DexieOptions): Promise<Dexie | undefined> {
  const db = new Dexie(name, options);
  try {
    await db.open();
    return db;
  } catch (error) {
    if (error instanceof Dexie.NoSuchDatabaseError) return undefined;
    throw error;
  }
}

/**
 * Opens `name` with at least the `wanted` stores and indexes, declaring one version up when some
 * are missing. Another connection may upgrade at the same moment (another tab); then Dexie opens
 * that newer version, which may still lack ours, so it looks again, a few times.
 *
 * `reopen`: the store had the database open, so it must still exist. If it is gone, it was deleted
 * under the store (another tab's reset, the browser clearing the site's data): made anew, it would
 * lack the device's identity and mutation counter while the app's client still used them (a new
 * mutation would take an id the server has seen, and be dropped as a duplicate). STORE_CLOSED.
 */
export async function openWith(name: string, options: DexieOptions, wanted: WantedStores, reopen = false): Promise<Dexie> {
  for (let attempt = 1; ; attempt++) {
    const installed = await openInstalled(name, options);
    if (!installed && reopen) throw new LocalStoreError('STORE_CLOSED', `The local database ${name} was deleted while open (by another tab, or the browser cleared the site's data): open a new store and client`);
    if (installed && !lacks(installed, wanted)) return installed;
    const version = Math.floor(installed?.verno ?? 0) + 1;
    const schema = nextSchema(installed, wanted);
    installed?.close();
    const db = new Dexie(name, options);
    db.version(version).stores(schema);
    await db.open();
    if (!lacks(db, wanted)) return db;
    db.close();
    if (attempt >= 3) throw new Error(`Could not add the object stores of ${[...wanted.keys()].join(', ')} to ${name}: other connections kept upgrading it`);
  }
}
