import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { PendingMutation } from './local-store.ts';
import { ChangedRows, planReplay } from './replay-plan.ts';

const mutation = (id: number, reads: Partial<PendingMutation['reads']> = {}, writes: string[] = []): PendingMutation => ({
  id,
  clientID: 'c',
  name: 'x',
  args: {},
  createdAt: '2026-01-05T10:00:00.000Z',
  undo: writes.map((key) => ({ table: key.split('/')[0]!, id: key.split('/')[1]!, before: null })),
  reads: { keys: reads.keys ?? [], lists: reads.lists ?? [] },
});

test('a mutation whose list query could match a changed row is replayed with every later one', () => {
  const changed = new ChangedRows();
  changed.add('orders.orders', 'o9', { id: 'o9', customer_id: 'k1', status: 'placed' });
  const pending = [mutation(1, { lists: [{ table: 'orders.orders', where: { customer_id: 'k2' } }] }), mutation(2, { lists: [{ table: 'orders.orders', where: { customer_id: ['k1', 'k3'] } }] }), mutation(3)];
  const plan = planReplay(pending, 0, changed);
  expect(plan.kept.map((m) => m.id)).toEqual([1]);
  expect(plan.replayed.map((m) => m.id)).toEqual([2, 3]);
});

test('a column the changed row does not carry counts as a possible match', () => {
  const changed = new ChangedRows();
  changed.add('orders.orders', 'o9', { id: 'o9' });
  expect(planReplay([mutation(1, { lists: [{ table: 'orders.orders', where: { customer_id: 'k2' } }] })], 0, changed).replayed).toHaveLength(1);
});

test('confirmed mutations are a prefix that is always undone; untouched later ones stay', () => {
  const changed = new ChangedRows();
  changed.add('inventory.stock_items', 's1', null);
  const plan = planReplay([mutation(1, {}, ['inventory.stock_items/s1']), mutation(2, { keys: ['catalog.products/p1'] }, ['inventory.stock_items/s2'])], 1, changed);
  expect(plan.confirmed.map((m) => m.id)).toEqual([1]);
  expect(plan.kept.map((m) => m.id)).toEqual([2]);
  expect(plan.replayed).toEqual([]);
});

test('a refetched table affects every mutation that touched it', () => {
  const changed = new ChangedRows();
  changed.addTable('catalog.products');
  expect(planReplay([mutation(1), mutation(2, { keys: ['catalog.products/p1'] })], 0, changed).replayed.map((m) => m.id)).toEqual([2]);
});

/** What `affects` decided before changed rows were indexed: every list against every changed image of its table. */
function affectsByScan(images: readonly { table: string; row: Record<string, unknown> }[], mutation: PendingMutation): boolean {
  const same = (a: unknown, b: unknown) => {
    if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
    const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
    return text(a) === text(b);
  };
  const mayMatch = (where: Record<string, unknown>, row: Record<string, unknown>) =>
    Object.entries(where).every(([column, value]) => !(column in row) || (Array.isArray(value) ? value.some((item) => same(item, row[column])) : same(value, row[column])));
  return mutation.reads.lists.some(({ table, where }) => images.some((image) => image.table === table && mayMatch(where, image.row)));
}

test('the indexed list check decides as a scan of every changed image would, for random images and predicates', () => {
  const value = fc.constantFrom<unknown>('a', 'b', 5, '5', null, undefined, true, 'true', [1]);
  const columns = ['x', 'y', 'z'];
  const row = fc.dictionary(fc.constantFrom(...columns), value, { maxKeys: 3 });
  const where = fc.dictionary(fc.constantFrom(...columns), fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 3 });
  const table = fc.constantFrom('t1', 't2');
  fc.assert(
    fc.property(fc.array(fc.record({ table, row }), { maxLength: 12 }), fc.array(fc.record({ table, where }), { maxLength: 4 }), (images, lists) => {
      const changed = new ChangedRows();
      images.forEach((image, index) => changed.add(image.table, `r${index}`, image.row));
      const listing = mutation(1, { lists });
      expect(changed.affects(listing)).toBe(affectsByScan(images, listing));
    }),
    { numRuns: 500 },
  );
});
