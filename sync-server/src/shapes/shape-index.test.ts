import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { BoundRuleFilter } from './rule-filter.ts';
import { indexKeysOf, shapeIndexKeys, ShapeIndex } from './shape-index.ts';
import { bindWhere, evaluateWhere, parseWhere, type ColumnTypes } from './where/index.ts';

const values = ['a', 'b', 'c'];
const columns = ['warehouse_id', 'agent_id', 'territory_id'];
const condition = fc.record({ column: fc.constantFrom(...columns), value: fc.option(fc.constantFrom(...values), { nil: null }) });
const rule: fc.Arbitrary<BoundRuleFilter> = fc.array(fc.array(condition, { maxLength: 2 }), { minLength: 1, maxLength: 2 });
const row = fc.option(fc.record({ warehouse_id: fc.option(fc.constantFrom(...values), { nil: null }), agent_id: fc.option(fc.constantFrom(...values), { nil: null }), territory_id: fc.option(fc.constantFrom(...values), { nil: null }) }), { nil: null });

function matches(filter: BoundRuleFilter, r: Record<string, string | null> | null): boolean {
  if (!r) return false;
  return filter.some((clause) => clause.every(({ column, value }) => value !== null && r[column] === value));
}

test('every shape whose rule matches the old or the new row is a candidate (no missed wake-up)', () => {
  fc.assert(
    fc.property(fc.array(rule, { minLength: 1, maxLength: 20 }), row, row, (rules, oldRow, newRow) => {
      const index = new ShapeIndex<number>();
      rules.forEach((filter, id) => index.add(id, 't', indexKeysOf(filter)));
      const candidates = index.candidates('t', oldRow, newRow);
      rules.forEach((filter, id) => {
        if (matches(filter, oldRow) || matches(filter, newRow)) expect(candidates.has(id)).toBe(true);
      });
    }),
    { numRuns: 500 },
  );
});

test('a shape scoped to one warehouse is not a candidate for another warehouse, and removal empties the index', () => {
  const index = new ShapeIndex<string>();
  index.add('picker-a', 'inventory.stock_items', indexKeysOf([[{ column: 'warehouse_id', value: 'a' }]]));
  index.add('admin', 'inventory.stock_items', indexKeysOf([[]]));
  index.add('other-table', 'orders.orders', indexKeysOf([[]]));
  expect([...index.candidates('inventory.stock_items', null, { warehouse_id: 'b' })]).toEqual(['admin']);
  expect([...index.candidates('inventory.stock_items', { warehouse_id: 'a' }, { warehouse_id: 'b' })].sort()).toEqual(['admin', 'picker-a']);
  index.remove('picker-a');
  index.remove('admin');
  index.remove('other-table');
  expect(index.size).toBe(0);
  expect(index.candidates('inventory.stock_items', null, { warehouse_id: 'a' }).size).toBe(0);
});

describe('shapes indexed by an equality their where requires (rule: every row)', () => {
  const columns = { id: 'uuid', name: 'text', note: 'varchar', code: 'bpchar', qty: 'int4', amount: 'numeric', score: 'float8' } as const satisfies ColumnTypes;
  const uuid = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
  // Literals in the forms Postgres accepts, canonical or not, and row texts as Postgres prints them.
  const literals: Record<keyof typeof columns, string[]> = {
    id: [uuid, uuid.toUpperCase(), `{${uuid}}`, uuid.replaceAll('-', ''), 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    name: ['Tea', 'tea', 'Tea ', ''],
    note: ['Tea', 'tea'],
    code: ['A', 'A  '],
    qty: ['7', '007', '+7', '-0', '0'],
    amount: ['7', '7.00', '7.5'],
    score: ['7', '7.0', '1e1'],
  };
  const texts: Record<keyof typeof columns, (string | null)[]> = {
    id: [uuid, 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', null],
    name: ['Tea', 'tea', 'Tea ', '', null],
    note: ['Tea', 'tea', null],
    code: ['A', 'A  ', null],
    qty: ['7', '0', '-7', null],
    amount: ['7', '7.00', '7.50', null],
    score: ['7', '10', null],
  };
  const names = Object.keys(columns) as (keyof typeof columns)[];
  const clause = fc.constantFrom(...names).chain((column) => fc.constantFrom(...literals[column]).map((literal) => `${column} = '${literal.replaceAll("'", "''")}'`));
  const where = fc.oneof(clause, fc.tuple(clause, clause).map(([a, b]) => `${a} AND ${b}`), fc.tuple(clause, clause).map(([a, b]) => `${a} OR ${b}`));
  const row = fc.option(fc.record(Object.fromEntries(names.map((name) => [name, fc.constantFrom(...texts[name])])) as Record<keyof typeof columns, fc.Arbitrary<string | null>>), { nil: null });

  test('every shape whose where matches the old or the new row is a candidate (no missed wake-up)', () => {
    fc.assert(
      fc.property(fc.array(where, { minLength: 1, maxLength: 12 }), row, row, (clauses, oldRow, newRow) => {
        const bound = clauses.map((text) => bindWhere(parseWhere(text), columns, {}));
        const index = new ShapeIndex<number>();
        bound.forEach((boundWhere, id) => index.add(id, 't', shapeIndexKeys({ rule: [[]], where: boundWhere })));
        const candidates = index.candidates('t', oldRow, newRow);
        bound.forEach((boundWhere, id) => {
          const concerned = [oldRow, newRow].some((r) => r !== null && evaluateWhere(boundWhere, r));
          if (concerned) expect(candidates.has(id), clauses[id]).toBe(true);
        });
      }),
      { numRuns: 1000 },
    );
  });

  test('an admin shape for one product is not woken by another product; a scoped rule keeps its own keys', () => {
    const forProduct = (value: string) => shapeIndexKeys({ rule: [[]], where: bindWhere(parseWhere(`id = '${value}'`), columns, {}) });
    expect(forProduct(uuid.toUpperCase())).toEqual([['id', uuid]]);
    expect(shapeIndexKeys({ rule: [[]], where: bindWhere(parseWhere(`qty = '007'`), columns, {}) })).toEqual([['qty', '7']]); // read as 7, printed '7'
    expect(shapeIndexKeys({ rule: [[]], where: bindWhere(parseWhere(`amount = 7`), columns, {}) })).toBe('every-row');
    expect(shapeIndexKeys({ rule: [[]], where: bindWhere(parseWhere(`id = '${uuid}' OR qty = 1`), columns, {}) })).toBe('every-row');
    expect(shapeIndexKeys({ rule: [[{ column: 'warehouse_id', value: 'w' }]], where: bindWhere(parseWhere(`id = '${uuid}'`), columns, {}) })).toEqual([['warehouse_id', 'w']]);
    const index = new ShapeIndex<string>();
    index.add('product', 't', forProduct(uuid));
    expect(index.candidates('t', null, { id: 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' }).size).toBe(0);
    expect([...index.candidates('t', { id: uuid }, { id: 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' })]).toEqual(['product']);
  });
});
