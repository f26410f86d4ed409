/**
 * What a rebase must leave: the server's state with the unconfirmed mutations run on top of it,
 * in order, as if the device had never run anything else. Property: for random pending stock
 * mutations and random server commits, rebasing (which keeps what it can in place) leaves exactly
 * that store, computed here independently.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runOnDevice, type DeviceContext } from './device-mutation.ts';
import type { LocalStore, StoreTx, TableSpec } from './local-store.ts';
import { openPgliteStore } from './pglite/index.ts';
import { applyCommit, CLIENTS_TABLE } from './rebase.ts';
import type { AlignedChange, Commit } from './transaction-aligner.ts';

const col = (name: string, type: string) => ({ name, type });
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const specs: TableSpec[] = [
  { name: 'inventory.stock_items', columns: [col('id', 'uuid'), col('warehouse_id', 'uuid'), col('product_id', 'uuid'), col('on_hand', 'int4'), col('reserved', 'int4'), col('available', 'int4'), col('version', 'int4'), col('updated_at', 'timestamptz')] },
  { name: 'inventory.movements', columns: [col('id', 'uuid'), col('warehouse_id', 'uuid'), col('product_id', 'uuid'), col('kind', 'text'), col('quantity', 'int4'), col('affects_on_hand', 'bool'), col('reason', 'text'), col('occurred_at', 'timestamptz'), col('mutation_id', 'int8')] },
  { name: 'inventory.count_lines', columns: [col('id', 'uuid'), col('warehouse_id', 'uuid'), col('product_id', 'uuid'), col('counted_qty', 'int4'), col('expected_qty', 'int4'), col('variance', 'int4'), col('status', 'text'), col('occurred_at', 'timestamptz')] },
  { name: 'catalog.products', columns: [col('id', 'uuid'), col('sku', 'text'), col('name', 'text')] },
  { name: 'inventory.warehouses', columns: [col('id', 'uuid'), col('code', 'text')] },
  { name: CLIENTS_TABLE, columns: [col('id', 'text'), col('last_mutation_id', 'int8')] },
];
const warehouseID = uuid(900);
const products = [uuid(1), uuid(2), uuid(3)];
const clientID = 'device-1';
let store: LocalStore;

beforeAll(async () => {
  store = await openPgliteStore();
  await store.ensureTables(specs);
}, 60_000);
afterAll(() => store?.close());

const context = (): DeviceContext & { clientID: string; tableOf: (shape: string) => string } => {
  let ids = 0;
  return {
    actor: { sub: uuid(800), role: 'warehouse', warehouse_id: warehouseID, territory_id: null, agent_id: null, customer_id: null },
    localTables: new Set(specs.map((spec) => spec.name)),
    newID: () => uuid(500 + ++ids),
    clientID,
    tableOf: (shape) => shape,
  };
};

/** Adjustments (read and write their stock row) and counts (which also read the ledger by query). */
const adjustment = fc.oneof(
  fc.record({ product: fc.integer({ min: 0, max: 2 }), delta: fc.integer({ min: -3, max: 5 }).filter((delta) => delta !== 0) }),
  fc.record({ product: fc.integer({ min: 0, max: 2 }), counted: fc.integer({ min: 0, max: 30 }) }),
);
const serverChange = fc.oneof(
  fc.record({ kind: fc.constant('stock' as const), product: fc.integer({ min: 0, max: 2 }), onHand: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ kind: fc.constant('rename' as const), product: fc.integer({ min: 0, max: 2 }), name: fc.string({ maxLength: 5 }) }),
  fc.record({ kind: fc.constant('movement' as const), product: fc.integer({ min: 0, max: 2 }), quantity: fc.integer({ min: -5, max: 5 }) }),
);

async function contents(tx: StoreTx) {
  const tables = Object.fromEntries(await Promise.all(specs.map(async (spec) => [spec.name, (await tx.list(spec.name, {}, { orderBy: ['id', 'asc'] }))] as const)));
  return { tables, pending: await tx.listPending() };
}

class Rollback extends Error {
  constructor(readonly result: unknown) {
    super('rollback');
  }
}

/** Runs `work` in a transaction that is always rolled back, and returns what it returned. */
async function dryRun<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
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

test('rebasing with the replay plan leaves the same store as undoing and replaying every pending mutation', async () => {
  let keptSome = false;
  await fc.assert(
    fc.asyncProperty(fc.array(adjustment, { minLength: 1, maxLength: 8 }), fc.nat(8), fc.array(serverChange, { maxLength: 5 }), async (adjustments, confirmedCount, changes) => {
      const ctx = context();
      const confirmed = Math.min(confirmedCount, adjustments.length);
      const mutations = adjustments.map((mutation, index) => {
        const occurredAt = `2026-01-05T11:00:0${index}.000Z`;
        const productID = products[mutation.product];
        return 'delta' in mutation
          ? { id: index + 1, clientID, name: 'stock.adjust', args: { adjustmentID: uuid(200 + index), warehouseID, productID, delta: mutation.delta, reason: 'test', occurredAt }, createdAt: occurredAt }
          : { id: index + 1, clientID, name: 'stock.count', args: { countID: uuid(200 + index), warehouseID, productID, countedQty: mutation.counted, occurredAt }, createdAt: occurredAt };
      });
      const serverRows: AlignedChange[] = changes.map((change, index) => {
        const product = products[change.product]!;
        if (change.kind === 'stock') return { shape: 'inventory.stock_items', operation: 'update', lsn: 5n, row: { id: uuid(100 + change.product), warehouse_id: warehouseID, product_id: product, on_hand: change.onHand, reserved: 0, available: change.onHand, version: 9, updated_at: '2026-01-05 12:00:00+00' } };
        if (change.kind === 'rename') return { shape: 'catalog.products', operation: 'update', lsn: 5n, row: { id: product, sku: `P${change.product}`, name: change.name } };
        // Some movements occurred before the device's mutations, some after (counts judge them by that).
        return { shape: 'inventory.movements', operation: 'insert', lsn: 5n, row: { id: uuid(300 + index), warehouse_id: warehouseID, product_id: product, kind: 'receipt', quantity: change.quantity, affects_on_hand: true, reason: '', occurred_at: `2026-01-05 ${change.quantity > 0 ? 10 : 12}:00:00+00`, mutation_id: null } };
      });
      if (confirmed > 0) serverRows.push({ shape: CLIENTS_TABLE, operation: 'update', lsn: 5n, row: { id: clientID, last_mutation_id: confirmed } });
      const seed = async (tx: StoreTx) => {
        await tx.putMany('inventory.warehouses', [{ id: warehouseID, code: 'WH' }]);
        await tx.putMany('catalog.products', products.map((id, index) => ({ id, sku: `P${index}`, name: `Product ${index}` })));
        await tx.putMany('inventory.stock_items', products.map((product, index) => ({ id: uuid(100 + index), warehouse_id: warehouseID, product_id: product, on_hand: 10, reserved: 0, available: 10, version: 1, updated_at: '2026-01-05 10:00:00+00' })));
      };
      const run = async (tx: StoreTx, list: typeof mutations) => {
        for (const mutation of list) await tx.putPending({ ...mutation, ...(await runOnDevice(tx, mutation, ctx)) });
      };
      const rebased = await dryRun(async (tx) => {
        await seed(tx);
        await run(tx, mutations);
        const commit: Commit = { lsn: 5n, refetched: [], changes: serverRows, cursors: new Map(), initial: false };
        const result = await applyCommit(tx, commit, context(), '2026-01-05T12:00:00.000Z');
        return { ...(await contents(tx)), replayed: result.replayed };
      });
      const expected = await dryRun(async (tx) => {
        await seed(tx);
        for (const change of serverRows) await tx.put(change.shape, change.row);
        await run(tx, mutations.slice(confirmed));
        return contents(tx);
      });
      expect(rebased.tables).toEqual(expected.tables);
      expect(rebased.pending.map(({ id, undo }) => ({ id, undo }))).toEqual(expected.pending.map(({ id, undo }) => ({ id, undo })));
      keptSome ||= rebased.replayed < mutations.length - confirmed;
    }),
    { numRuns: 60 },
  );
  expect(keptSome, 'some runs keep mutations in place (the plan is exercised)').toBe(true);
}, 120_000);
