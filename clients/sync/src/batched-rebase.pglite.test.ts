/**
 * The rebase batches its store calls (bulk reads, the undo collapsed per row, the replay over a
 * RowOverlay flushed at the end). Property: on both stores, for random pending mutations and
 * random server commits, it leaves exactly what the sequential rebase leaves (one store call per
 * undo entry, mutator read and write, queue entry: test-support/sequential-rebase.ts): every
 * table's rows, the pending queue with each mutation's undo images and read set, and the result.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openDexieStore } from './dexie/index.ts';
import type { LocalStore, StoreTx, TableSpec } from './local-store.ts';
import { openPgliteStore } from './pglite/index.ts';
import { applyCommit, CLIENTS_TABLE, type RebaseContext } from './rebase.ts';
import { runOnDevice } from './device-mutation.ts';
import { applyCommitSequentially } from './test-support/sequential-rebase.ts';
import { fakeIDB } from './test-support/test-helpers.ts';
import type { AlignedChange, Commit } from './transaction-aligner.ts';

const col = (name: string, type: string) => ({ name, type });
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const usualSpecs: TableSpec[] = [
  { name: 'inventory.stock_items', columns: [col('id', 'uuid'), col('warehouse_id', 'uuid'), col('product_id', 'uuid'), col('on_hand', 'int4'), col('reserved', 'int4'), col('available', 'int4'), col('version', 'int4'), col('created_at', 'timestamptz'), col('updated_at', 'timestamptz')], indexes: ['product_id'] },
  {
    name: 'inventory.movements',
    columns: [col('id', 'uuid'), col('warehouse_id', 'uuid'), col('product_id', 'uuid'), col('kind', 'text'), col('quantity', 'int4'), col('affects_on_hand', 'bool'), col('reason', 'text'), col('occurred_at', 'timestamptz'), col('client_id', 'text'), col('mutation_id', 'int8')],
    indexes: ['product_id'],
  },
  { name: 'inventory.count_lines', columns: [col('id', 'uuid'), col('warehouse_id', 'uuid'), col('product_id', 'uuid'), col('counted_qty', 'int4'), col('expected_qty', 'int4'), col('variance', 'int4'), col('status', 'text'), col('occurred_at', 'timestamptz'), col('mutation_id', 'int8')] },
  { name: 'catalog.products', columns: [col('id', 'uuid'), col('sku', 'text'), col('name', 'text')] },
  { name: 'inventory.warehouses', columns: [col('id', 'uuid'), col('code', 'text')] },
  { name: CLIENTS_TABLE, columns: [col('id', 'text'), col('last_mutation_id', 'int8')] },
];
/**
 * The same tables with column types the PGlite store's RowModel leaves to the store (float4; the
 * bpchar a list filters on), so the overlay's fallbacks run: writes go to the store at once and
 * are read back, lists go to the store after a flush.
 */
const oddSpecs: TableSpec[] = usualSpecs.map((spec) => ({
  ...spec,
  columns: spec.columns.map((column) => (spec.name === 'inventory.stock_items' && column.name === 'reserved' ? col('reserved', 'float4') : spec.name === 'inventory.count_lines' && column.name === 'status' ? col('status', 'bpchar') : column)),
}));
const specs = usualSpecs;
const warehouseID = uuid(900);
const products = [uuid(1), uuid(2), uuid(3)];
const stockID = (product: number) => uuid(100 + product);
const clientID = 'device-1';

const context = (): RebaseContext => {
  let ids = 0;
  return {
    actor: { sub: uuid(800), role: 'warehouse', warehouse_id: warehouseID, territory_id: null, agent_id: null, customer_id: null },
    localTables: new Set(specs.map((spec) => spec.name)),
    newID: () => uuid(500 + ++ids),
    clientID,
    tableOf: (shape) => shape,
  };
};

/** The device clock in the forms a mutation may carry it (mutators write it as `updated_at`). */
const clock = fc.constantFrom('2026-01-05T11:00:00.000Z', '2026-01-05T13:00:00.5+02:00', '2026-01-05T11:00:00.123456Z', '2026-01-05 11:00:00+00');
const pendingArbitrary = fc.oneof(
  fc.record({ product: fc.integer({ min: 0, max: 2 }), delta: fc.integer({ min: -3, max: 5 }).filter((delta) => delta !== 0), clock, reused: fc.boolean() }),
  fc.record({ product: fc.integer({ min: 0, max: 2 }), counted: fc.integer({ min: 0, max: 30 }), clock, reused: fc.boolean() }),
);
const serverChange = fc.oneof(
  fc.record({ kind: fc.constant('stock' as const), product: fc.integer({ min: 0, max: 2 }), onHand: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ kind: fc.constant('rename' as const), product: fc.integer({ min: 0, max: 2 }), name: fc.string({ maxLength: 5 }) }),
  fc.record({ kind: fc.constant('movement' as const), product: fc.integer({ min: 0, max: 2 }), quantity: fc.integer({ min: -5, max: 5 }) }),
  // Gone on the server: mutations on it are refused on replay, or (stock) create it again.
  fc.record({ kind: fc.constant('dropProduct' as const), product: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('dropStock' as const), product: fc.integer({ min: 0, max: 2 }) }),
  // A row a pending mutation wrote, as the server has it (or deleted).
  fc.record({ kind: fc.constant('ownRow' as const), mutation: fc.nat(9), deleted: fc.boolean() }),
);
const commitArbitrary = fc.record({
  changes: fc.array(serverChange, { maxLength: 6 }),
  confirmed: fc.nat(10),
  refetch: fc.option(fc.constantFrom('inventory.movements', 'catalog.products'), { nil: undefined, freq: 8 }),
});

type Valued<A> = A extends fc.Arbitrary<infer T> ? T : never;
type Pending = Valued<typeof pendingArbitrary>;

function mutationsOf(pending: readonly Pending[]) {
  return pending.map((mutation, index) => {
    const occurredAt = `2026-01-05T11:00:0${index}.000Z`;
    const productID = products[mutation.product]!;
    // Now and then the same adjustment id as the mutation before: refused as recorded already.
    const own = uuid(200 + (mutation.reused && index > 0 ? index - 1 : index));
    const base = { id: index + 1, clientID, createdAt: mutation.clock };
    return 'delta' in mutation
      ? { ...base, name: 'stock.adjust', args: { adjustmentID: own, warehouseID, productID, delta: mutation.delta, reason: 'test', occurredAt } }
      : { ...base, name: 'stock.count', args: { countID: own, warehouseID, productID, countedQty: mutation.counted, occurredAt } };
  });
}

async function seed(tx: StoreTx): Promise<void> {
  await tx.putMany('inventory.warehouses', [{ id: warehouseID, code: 'WH' }]);
  await tx.putMany('catalog.products', products.map((id, index) => ({ id, sku: `P${index}`, name: `Product ${index}` })));
  await tx.putMany('inventory.stock_items', products.map((product, index) => ({ id: stockID(index), warehouse_id: warehouseID, product_id: product, on_hand: 10, reserved: 0, available: 10, version: 1, created_at: '2026-01-05 09:00:00+00', updated_at: '2026-01-05 10:00:00+00' })));
  await tx.putMany('inventory.movements', products.map((product, index) => ({ id: uuid(400 + index), warehouse_id: warehouseID, product_id: product, kind: 'receipt', quantity: 10, affects_on_hand: true, reason: '', occurred_at: '2026-01-05 08:00:00+00', client_id: null, mutation_id: null })));
}

async function contents(tx: StoreTx) {
  const tables = Object.fromEntries(await Promise.all(specs.map(async (spec) => [spec.name, await tx.list(spec.name, {}, { orderBy: ['id', 'asc'] })] as const)));
  return { tables, pending: await tx.listPending() };
}

class Rollback extends Error {
  constructor(readonly result: unknown) {
    super('rollback');
  }
}

/** Runs `work` in a transaction that is always rolled back, and returns what it returned. */
async function dryRun<T>(store: LocalStore, work: (tx: StoreTx) => Promise<T>): Promise<T> {
  try {
    await store.transaction(async (tx) => {
      throw new Rollback(await work(tx));
    });
  } catch (error) {
    if (error instanceof Rollback) return error.result as T;
    throw error;
  }
  throw new Error('unreachable');
}

const stores: Record<string, () => Promise<LocalStore>> = {
  pglite: () => openPgliteStore(),
  dexie: () => openDexieStore({ name: `batched-rebase-${Math.random()}`, indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange }),
};

describe.each(Object.keys(stores).flatMap((kind) => [[kind, 'usual'], [kind, 'odd']]))('%s store, %s column types', (kind, types) => {
  let store: LocalStore;
  beforeAll(async () => {
    store = await stores[kind]!();
    await store.ensureTables(types === 'odd' ? oddSpecs : usualSpecs);
  }, 60_000);
  afterAll(() => store?.close());

  test('the batched rebase leaves exactly the rows, queue (undo images and reads) and result the sequential rebase leaves', async () => {
    const seen = { kept: false, replayed: false, refused: false, confirmed: false };
    await fc.assert(
      fc.asyncProperty(fc.array(pendingArbitrary, { minLength: 1, maxLength: 10 }), commitArbitrary, async (pending, shape) => {
        const mutations = mutationsOf(pending);
        const rebase = (apply: typeof applyCommit) =>
          dryRun(store, async (tx) => {
            await seed(tx);
            const ctx = context();
            for (const mutation of mutations) await tx.putPending({ ...mutation, ...(await runOnDevice(tx, mutation, ctx).catch(() => ({ undo: [], reads: { keys: [], lists: [] } }))) });
            const commit = await commitOf(tx, shape);
            const result = await apply(tx, commit, ctx, '2026-01-05T12:00:00.000Z');
            return { result, ...(await contents(tx)) };
          });
        const batched = await rebase(applyCommit);
        const sequential = await rebase(applyCommitSequentially);
        expect(batched).toEqual(sequential);
        seen.kept ||= batched.result.pending > batched.result.replayed;
        seen.replayed ||= batched.result.replayed > 0;
        seen.refused ||= batched.result.refusedOnReplay.length > 0;
        seen.confirmed ||= batched.result.confirmed > 0;
      }),
      { numRuns: 80 },
    );
    expect(seen, 'the runs keep, replay, refuse and confirm mutations').toEqual({ kept: true, replayed: true, refused: true, confirmed: true });
  }, 300_000);
});

/** The commit: server changes, the client row confirming a prefix, and maybe a refetched table (its rows sent again). */
async function commitOf(tx: StoreTx, shape: Valued<typeof commitArbitrary>): Promise<Commit> {
  const pending = await tx.listPending();
  const changes: AlignedChange[] = [];
  for (const [index, change] of shape.changes.entries()) {
    const product = 'product' in change ? products[change.product]! : '';
    const productIndex = 'product' in change ? change.product : 0;
    if (change.kind === 'stock') changes.push({ shape: 'inventory.stock_items', operation: 'update', lsn: 5n, row: { id: stockID(productIndex), warehouse_id: warehouseID, product_id: product, on_hand: change.onHand, reserved: 0, available: change.onHand, version: 9, created_at: '2026-01-05 09:00:00+00', updated_at: '2026-01-05 12:00:00+00' } });
    if (change.kind === 'rename') changes.push({ shape: 'catalog.products', operation: 'update', lsn: 5n, row: { id: product, sku: `P${productIndex}`, name: change.name } });
    if (change.kind === 'movement') {
      const row = { id: uuid(300 + index), warehouse_id: warehouseID, product_id: product, kind: 'receipt', quantity: change.quantity, affects_on_hand: true, reason: '', occurred_at: `2026-01-05 ${change.quantity > 0 ? 10 : 12}:00:00+00`, client_id: null, mutation_id: null };
      changes.push({ shape: 'inventory.movements', operation: 'insert', lsn: 5n, row });
    }
    if (change.kind === 'dropProduct') changes.push({ shape: 'catalog.products', operation: 'delete', lsn: 5n, row: { id: product } });
    if (change.kind === 'dropStock') changes.push({ shape: 'inventory.stock_items', operation: 'delete', lsn: 5n, row: { id: stockID(productIndex) } });
    if (change.kind === 'ownRow') {
      const entry = pending[change.mutation % Math.max(1, pending.length)]?.undo[0];
      const row = entry ? await tx.get(entry.table, entry.id) : undefined;
      if (entry && row) changes.push({ shape: entry.table, operation: change.deleted ? 'delete' : 'update', lsn: 5n, row: change.deleted ? { id: entry.id } : { ...row } });
    }
  }
  const confirmed = Math.min(shape.confirmed, pending.length);
  if (confirmed > 0) changes.push({ shape: CLIENTS_TABLE, operation: 'update', lsn: 5n, row: { id: clientID, last_mutation_id: confirmed } });
  const refetched = shape.refetch ? [shape.refetch] : [];
  if (shape.refetch) for (const row of await tx.list(shape.refetch, {})) changes.push({ shape: shape.refetch, operation: 'insert', lsn: 5n, row });
  return { lsn: 5n, refetched, changes, cursors: new Map(), initial: false };
}
