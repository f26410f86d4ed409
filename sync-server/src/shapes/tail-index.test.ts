import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { IndexKeys } from './shape-index.ts';
import { TailIndex, type TailEntry } from './tail-index.ts';

const warehouses = ['a', 'b', 'C', 'c', 'd'];
const rowArb = fc.option(fc.record({ id: fc.constant('1'), warehouse_id: fc.option(fc.constantFrom(...warehouses), { nil: null }), to_id: fc.constantFrom(...warehouses) }), { nil: null });

test('a scoped read gets exactly the entries whose old or new row has one of its values, in log order, until dropped', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ table: fc.constantFrom('t', 'u'), oldRow: rowArb, newRow: rowArb }), { maxLength: 40 }),
      fc.array(fc.tuple(fc.constantFrom('warehouse_id', 'to_id'), fc.constantFrom(...warehouses)), { maxLength: 3 }),
      fc.nat(45),
      (changes, keys, dropAt) => {
        const index = new TailIndex((table) => (table === 't' ? ['warehouse_id', 'to_id'] : ['warehouse_id']));
        const entries: TailEntry[] = changes.map((change, i) => ({ ...change, lsn: BigInt(Math.floor(i / 2) + 1), op: i % 2, xid: 1n, operation: 'update' }));
        for (const entry of entries) index.add(entry);
        index.dropThrough(BigInt(dropAt));
        for (const table of ['t', 'u']) {
          const tracked = table === 't' ? ['warehouse_id', 'to_id'] : ['warehouse_id'];
          const live = entries.filter((entry) => entry.table === table && entry.lsn > BigInt(dropAt));
          const scoped = (indexKeys: IndexKeys) =>
            indexKeys === 'every-row' || indexKeys.some(([column]) => !tracked.includes(column))
              ? live
              : live.filter((entry) =>
                  indexKeys.some(([column, value]) => [entry.oldRow, entry.newRow].some((row) => row?.[column]?.toLowerCase() === value.toLowerCase())),
                );
          expect(index.entriesFor(table, keys)).toEqual(scoped(keys));
          expect(index.entriesFor(table, 'every-row')).toEqual(live);
        }
      },
    ),
  );
});
