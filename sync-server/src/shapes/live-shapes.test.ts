import fc from 'fast-check';
import { expect, test } from 'vitest';
import { changesFor, type TextRow } from './change-messages.ts';
import { LiveShapes } from './live-shapes.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import type { ColumnInfo, TableInfo } from './table-catalog.ts';
import type { TailEntry } from './tail-index.ts';
import { bindWhere, parseWhere } from './where/index.ts';

const column = (name: string, filterType: 'uuid' | 'int4' | 'text', pkIndex?: number): ColumnInfo => ({
  name,
  type: filterType,
  dims: 0,
  notNull: pkIndex !== undefined,
  pkIndex,
  typmod: -1,
  filterType,
});
const table: TableInfo = {
  name: 'inventory.stock_items',
  schema: 'inventory',
  table: 'stock_items',
  columns: [column('id', 'int4', 0), column('warehouse_id', 'text'), column('qty', 'int4'), column('note', 'text')],
  primaryKey: ['id'],
};
const otherTable: TableInfo = { ...table, name: 'orders.orders', schema: 'orders', table: 'orders' };

interface ShapeSpec {
  readonly table: TableInfo;
  readonly warehouse: string | undefined;
  readonly where: string | undefined;
  readonly columns: 'all' | 'no-note';
  readonly replica: 'default' | 'full';
}

function shapeOf(spec: ShapeSpec, index: number): ShapeDefinition {
  return {
    table: spec.table,
    columns: spec.columns === 'all' ? spec.table.columns : spec.table.columns.filter((c) => c.name !== 'note'),
    rule: spec.warehouse === undefined ? [[]] : [[{ column: 'warehouse_id', value: spec.warehouse }]],
    where: spec.where === undefined ? undefined : bindWhere(parseWhere(spec.where), { id: 'int4', warehouse_id: 'text', qty: 'int4', note: 'text' }, {}),
    replica: spec.replica,
    hash: `shape-${index}`,
  };
}

const warehouses = ['a', 'b', 'c'];
const shapeSpec: fc.Arbitrary<ShapeSpec> = fc.record({
  table: fc.constantFrom(table, table, otherTable),
  warehouse: fc.option(fc.constantFrom(...warehouses), { nil: undefined }),
  where: fc.option(fc.constantFrom('qty >= 5', 'qty < 3', 'id = 2', "note = 'x'", 'qty >= 2 AND id <> 1'), { nil: undefined }),
  columns: fc.constantFrom('all' as const, 'no-note' as const),
  replica: fc.constantFrom('default' as const, 'full' as const),
});
const row: fc.Arbitrary<TextRow> = fc.record({
  id: fc.constantFrom('1', '2', '3'),
  warehouse_id: fc.option(fc.constantFrom(...warehouses), { nil: null }),
  qty: fc.option(fc.integer({ min: 0, max: 9 }).map(String), { nil: null }),
  note: fc.option(fc.constantFrom('x', 'y'), { nil: null }),
});
const change = fc.record({
  table: fc.constantFrom(table.name, otherTable.name),
  operation: fc.constantFrom('insert' as const, 'update' as const, 'delete' as const),
  oldRow: row,
  newRow: row,
});
const transactions = fc.array(fc.array(change, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 });

function toEntries(changes: readonly (typeof change extends fc.Arbitrary<infer T> ? T : never)[], lsn: bigint): TailEntry[] {
  return changes.map((c, op) => ({
    lsn,
    op,
    xid: lsn + 1000n,
    table: c.table,
    operation: c.operation,
    oldRow: c.operation === 'insert' ? null : c.oldRow,
    newRow: c.operation === 'delete' ? null : c.newRow,
  }));
}

test("each live shape's log is exactly what changesFor gives it, transaction by transaction (shared renderings included)", () => {
  fc.assert(
    fc.property(fc.array(shapeSpec, { minLength: 1, maxLength: 8 }), transactions, (specs, txs) => {
      const shapes = specs.map(shapeOf);
      const live = new LiveShapes();
      for (const shape of shapes) live.open(shape, 0n);
      txs.forEach((changes, index) => live.append(toEntries(changes, BigInt(index + 1))));
      for (const shape of shapes) {
        const expected = txs
          .map((changes, index) => ({ lsn: BigInt(index + 1), messages: changesFor(shape, toEntries(changes, BigInt(index + 1)).filter((entry) => entry.table === shape.table.name)).map((m) => JSON.stringify(m)) }))
          .filter((tx) => tx.messages.length > 0);
        const actual = live.get(shape.hash)!.transactions.map((tx) => ({ lsn: tx.lsn, messages: [...tx.messages] }));
        expect(actual).toEqual(expected);
      }
    }),
    { numRuns: 500 },
  );
});

test('append returns the shapes that got messages; a log over its size keeps its newest whole transactions', () => {
  const picker = shapeOf({ table, warehouse: 'a', where: undefined, columns: 'all', replica: 'default' }, 0);
  const other = shapeOf({ table, warehouse: 'b', where: undefined, columns: 'all', replica: 'default' }, 1);
  const live = new LiveShapes(2);
  live.open(picker, 0n);
  live.open(other, 0n);
  const insert = (lsn: bigint, warehouse: string): TailEntry[] => [
    { lsn, op: 0, xid: lsn, table: table.name, operation: 'insert', oldRow: null, newRow: { id: String(lsn), warehouse_id: warehouse, qty: '1', note: null } },
  ];
  expect(live.append(insert(1n, 'a')).map((shape) => shape.shape.hash)).toEqual(['shape-0']);
  expect(live.append(insert(2n, 'c'))).toEqual([]);
  live.append(insert(3n, 'a'));
  live.append(insert(4n, 'a'));
  const log = live.get('shape-0')!;
  expect(log.firstAfter(0n)).toBe(0);
  expect(log.firstAfter(3n)).toBe(1);
  expect(log.firstAfter(9n)).toBe(2);
  expect(log.from).toBe(1n); // three messages, two kept
  expect(log.transactions.map((tx) => tx.lsn)).toEqual([3n, 4n]);
  expect(log.messageCount).toBe(2);
  const wide: TailEntry[] = [1, 2, 3].map((id) => ({ ...insert(6n, 'a')[0]!, op: id, newRow: { id: String(id + 10), warehouse_id: 'a', qty: '1', note: null } }));
  live.append(wide);
  expect(log.transactions.map((tx) => [tx.lsn, tx.messages.length])).toEqual([[6n, 3]]); // the newest is kept whole
  expect(log.from).toBe(4n);
  expect(live.totalMessages).toBe(3);
  live.dropThrough(6n);
  expect([log.from, log.transactions.length, log.messageCount, live.totalMessages]).toEqual([6n, 0, 0, 0]);
  live.forgetUnless((shape) => shape.shape.hash !== 'shape-0');
  expect(live.get('shape-0')).toBeUndefined();
  expect(live.size).toBe(1);
  expect(live.append(insert(5n, 'a'))).toEqual([]); // forgotten: no longer a candidate
});

test("a transaction larger than a log's limit, arriving first, is kept whole and the log still starts where it did", () => {
  const picker = shapeOf({ table, warehouse: 'a', where: undefined, columns: 'all', replica: 'default' }, 0);
  const other = shapeOf({ table, warehouse: undefined, where: undefined, columns: 'no-note', replica: 'default' }, 1);
  const live = new LiveShapes(2);
  live.open(picker, 7n);
  live.open(other, 7n);
  const big: TailEntry[] = [1, 2, 3].map((id) => ({ lsn: 8n, op: id, xid: 8n, table: table.name, operation: 'insert', oldRow: null, newRow: { id: String(id), warehouse_id: 'a', qty: '1', note: null } }));
  expect(live.append(big).map((shape) => shape.shape.hash).sort()).toEqual(['shape-0', 'shape-1']);
  for (const hash of ['shape-0', 'shape-1']) {
    const log = live.get(hash)!;
    expect([log.from, log.transactions.length, log.messageCount]).toEqual([7n, 1, 3]);
  }
  expect(live.totalMessages).toBe(6);
});
