import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { BoundRuleFilter } from './rule-filter.ts';
import { indexKeysOf, ShapeIndex } from './shape-index.ts';

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
