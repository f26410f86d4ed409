import { randomUUID } from 'node:crypto';
import type { AccessClaims } from '@niaga/protocol';
import { expect, test } from 'vitest';
import { resolveShape, shapeResolver } from './shape-definition.ts';
import { parseShapeRequest, ShapeRequestError } from './shape-request.ts';
import type { ColumnInfo, TableInfo } from './table-catalog.ts';

const column = (name: string, type: 'uuid' | 'int4', pkIndex?: number): ColumnInfo => ({ name, type, dims: 0, notNull: pkIndex !== undefined, pkIndex, typmod: -1, filterType: type });
const stockItems: TableInfo = {
  name: 'inventory.stock_items',
  schema: 'inventory',
  table: 'stock_items',
  columns: [column('id', 'uuid', 0), column('warehouse_id', 'uuid'), column('product_id', 'uuid'), column('available', 'int4'), column('on_hand', 'int4')],
  primaryKey: ['id'],
};
const picker = (warehouse: string): AccessClaims => ({ sub: randomUUID(), sid: randomUUID(), role: 'warehouse', warehouse_id: warehouse, territory_id: null, agent_id: null, customer_id: null });
const request = (query: Record<string, string>) => parseShapeRequest({ table: 'inventory.stock_items', offset: '-1', ...query });

test('the shape resolver gives what resolveShape gives, the same definition again for the same shape and scope, and never one of another scope', () => {
  const catalog = new Map([[stockItems.name, stockItems]]);
  const resolve = shapeResolver(catalog);
  const [north, south] = [randomUUID(), randomUUID()];
  const asked = request({ where: 'available > $1', 'params[1]': '2' });

  const first = resolve(asked, picker(north));
  expect(first).toEqual(resolveShape(asked, picker(north), catalog));
  // Another picker of the same warehouse (other sub and session) asks for the same shape.
  expect(resolve(request({ where: 'available > $1', 'params[1]': '2' }), picker(north))).toBe(first);
  // Another warehouse, another where, other params, other columns: each its own definition.
  const others = [
    resolve(asked, picker(south)),
    resolve(request({ where: 'available > $1', 'params[1]': '3' }), picker(north)),
    resolve(request({ where: 'on_hand > $1', 'params[1]': '2' }), picker(north)),
    resolve(request({ columns: 'id,available' }), picker(north)),
    resolve(request({ replica: 'full' }), picker(north)),
  ];
  expect(new Set([first.hash, ...others.map((shape) => shape.hash)]).size).toBe(6);
  expect(others[0]!.rule).toEqual([[{ column: 'warehouse_id', value: south }]]);

  // Refusals are the same as resolveShape's, every time.
  const shopper = { ...picker(north), role: 'customer' as const };
  for (let attempt = 0; attempt < 2; attempt++) expect(() => resolve(asked, shopper)).toThrow(ShapeRequestError);
  expect(() => resolve(request({ where: 'nope(' }), picker(north))).toThrow(ShapeRequestError);
});

test('a remembered definition is made again once the catalog holds a newer entry for its table, and the oldest is let go past the limit', () => {
  const catalog = new Map([[stockItems.name, stockItems]]);
  const resolve = shapeResolver(catalog, { maxEntries: 2 });
  const warehouse = randomUUID();
  const before = resolve(request({}), picker(warehouse));
  catalog.set(stockItems.name, { ...stockItems, columns: [...stockItems.columns, column('reserved', 'int4')] });
  const after = resolve(request({}), picker(warehouse));
  expect(after).not.toBe(before);
  expect(after.columns.map((c) => c.name)).toContain('reserved');
  expect(resolve(request({}), picker(warehouse))).toBe(after);

  resolve(request({}), picker(randomUUID()));
  resolve(request({}), picker(randomUUID())); // the limit of 2 lets `after` go
  expect(resolve(request({}), picker(warehouse))).not.toBe(after);
});

test('the resolver keeps the shapes used most recently, and never a key longer than its limit or past its total', () => {
  const catalog = new Map([[stockItems.name, stockItems]]);
  const warehouse = randomUUID();
  const keyLength = JSON.stringify(['inventory.stock_items', 'warehouse', [[{ column: 'warehouse_id', value: warehouse }]], null, 'available > 0', {}, 'default']).length;
  // Room for three keys of that length, not four.
  const resolve = shapeResolver(catalog, { maxKeyChars: 500, maxTotalKeyChars: Math.floor(keyLength * 3.5) });
  const long = request({ where: `available > $1 ${'AND available > $1 '.repeat(40)}`, 'params[1]': '1' });
  expect(resolve(long, picker(warehouse))).not.toBe(resolve(long, picker(warehouse))); // too long to keep

  const shapes = [0, 1, 2, 3].map((n) => request({ where: `available > ${n}` }));
  const first = shapes.map((shape) => resolve(shape, picker(warehouse)));
  // The fourth pushed the first out.
  expect(resolve(shapes[1]!, picker(warehouse))).toBe(first[1]); // now the newest
  expect(resolve(shapes[0]!, picker(warehouse))).not.toBe(first[0]); // made again: it pushes out the oldest, the third
  expect(resolve(shapes[1]!, picker(warehouse))).toBe(first[1]);
  expect(resolve(shapes[3]!, picker(warehouse))).toBe(first[3]);
  expect(resolve(shapes[2]!, picker(warehouse))).not.toBe(first[2]);
});
