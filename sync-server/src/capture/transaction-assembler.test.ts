import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CaptureError } from './capture-error.ts';
import {
  initialAssemblerState,
  isBetweenTransactions,
  stepAssembler,
  type AssembledTransaction,
  type AssemblerInput,
  type AssemblerState,
  type CapturedChange,
} from './transaction-assembler.ts';

function run(inputs: readonly AssemblerInput[], from: AssemblerState = initialAssemblerState) {
  let state = from;
  const completed: AssembledTransaction[] = [];
  for (const input of inputs) {
    const step = stepAssembler(state, input);
    state = step.state;
    if (step.completed) completed.push(step.completed);
  }
  return { state, completed };
}

const row = (id: string, extra: Record<string, string | null> = {}) => ({ id, ...extra });

const tableArb = fc.constantFrom('catalog.products', 'inventory.warehouses', 'orders.orders');
const textRowArb = fc.dictionary(fc.constantFrom('id', 'name', 'tags', 'at'), fc.option(fc.string(), { nil: null }));
const changeArb: fc.Arbitrary<CapturedChange> = fc.oneof(
  fc.record({ table: tableArb, operation: fc.constant('insert' as const), oldRow: fc.constant(null), newRow: textRowArb }),
  fc.record({ table: tableArb, operation: fc.constant('update' as const), oldRow: textRowArb, newRow: textRowArb }),
  fc.record({ table: tableArb, operation: fc.constant('delete' as const), oldRow: textRowArb, newRow: fc.constant(null) }),
);

interface SourceTransaction {
  readonly xid: number;
  readonly changes: readonly CapturedChange[];
  readonly truncates: readonly (readonly string[])[];
  readonly committed: boolean;
}

/**
 * Several transactions that began in one order and end (commit or abort) in another, with the
 * changes of all of them interleaved in time. pgoutput decodes at commit: it streams only the
 * committed ones, each contiguously, in commit order, with increasing commit LSNs and relation
 * messages wherever a relation is first used in the transaction.
 */
const workloadArb = fc
  .array(
    fc.record({
      changes: fc.array(changeArb, { minLength: 0, maxLength: 6 }),
      truncates: fc.array(fc.array(tableArb, { minLength: 1, maxLength: 2 }), { maxLength: 1 }),
      committed: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .chain((transactions) =>
    fc.record({
      transactions: fc.constant(transactions.map((t, i): SourceTransaction => ({ ...t, xid: (0xfffffff0 + i * 7) >>> 0 }))),
      commitOrder: fc.shuffledSubarray(
        transactions.map((_, i) => i),
        { minLength: transactions.length, maxLength: transactions.length },
      ),
      lsnGaps: fc.array(fc.bigInt({ min: 40n, max: 1n << 40n }), { minLength: transactions.length, maxLength: transactions.length }),
      relationNoise: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
    }),
  );

function streamOf(
  transactions: readonly SourceTransaction[],
  commitOrder: readonly number[],
  lsnGaps: readonly bigint[],
  relationNoise: readonly boolean[],
): { inputs: AssemblerInput[]; expected: AssembledTransaction[] } {
  const inputs: AssemblerInput[] = [];
  const expected: AssembledTransaction[] = [];
  let lsn = 0x16_0000_0000n;
  let noise = 0;
  commitOrder.forEach((index, position) => {
    const transaction = transactions[index]!;
    lsn += lsnGaps[position]!;
    if (!transaction.committed) return;
    inputs.push({ tag: 'begin', commitLsn: lsn, xid: transaction.xid });
    const seen = new Set<string>();
    const relation = (table: string) => {
      if (!seen.has(table) || relationNoise[noise++ % relationNoise.length]) inputs.push({ tag: 'relation', table });
      seen.add(table);
    };
    const truncated: string[] = [];
    transaction.changes.forEach((change, i) => {
      relation(change.table);
      if (change.operation === 'insert') inputs.push({ tag: 'insert', table: change.table, newRow: change.newRow! });
      if (change.operation === 'update') inputs.push({ tag: 'update', table: change.table, oldRow: change.oldRow!, newRow: change.newRow! });
      if (change.operation === 'delete') inputs.push({ tag: 'delete', table: change.table, oldRow: change.oldRow! });
      const truncate = transaction.truncates[i];
      if (truncate) {
        truncate.forEach(relation);
        inputs.push({ tag: 'truncate', tables: truncate });
        for (const table of truncate) if (!truncated.includes(table)) truncated.push(table);
      }
    });
    inputs.push({ tag: 'commit', commitLsn: lsn, endLsn: lsn + 32n });
    expected.push({ lsn, endLsn: lsn + 32n, xid32: transaction.xid, changes: transaction.changes, truncatedTables: truncated });
  });
  return { inputs, expected };
}

describe('transaction assembler', () => {
  test('a stream of committed transactions yields exactly those transactions, in commit order, with their changes in order', () => {
    fc.assert(
      fc.property(workloadArb, ({ transactions, commitOrder, lsnGaps, relationNoise }) => {
        const { inputs, expected } = streamOf(transactions, commitOrder, lsnGaps, relationNoise);
        const { state, completed } = run(inputs);
        expect(completed).toEqual(expected);
        expect(isBetweenTransactions(state)).toBe(true);
        const lsns = completed.map((t) => t.lsn);
        expect(lsns).toEqual([...lsns].sort((a, b) => (a < b ? -1 : 1)));
      }),
      { numRuns: 300 },
    );
  });

  test('a transaction is emitted only at its commit, and only between transactions is the assembler idle', () => {
    fc.assert(
      fc.property(workloadArb, ({ transactions, commitOrder, lsnGaps, relationNoise }) => {
        const { inputs } = streamOf(transactions, commitOrder, lsnGaps, relationNoise);
        let state = initialAssemblerState;
        let open = false;
        for (const input of inputs) {
          const step = stepAssembler(state, input);
          state = step.state;
          if (input.tag === 'begin') open = true;
          if (input.tag === 'commit') open = false;
          expect(step.completed !== null).toBe(input.tag === 'commit');
          expect(isBetweenTransactions(state)).toBe(!open);
        }
      }),
    );
  });

  test('the states are immutable: replaying from a saved state gives the same transaction', () => {
    const begin: AssemblerInput = { tag: 'begin', commitLsn: 100n, xid: 7 };
    const afterInsert = run([begin, { tag: 'insert', table: 'catalog.products', newRow: row('1') }]).state;
    const a = run([{ tag: 'commit', commitLsn: 100n, endLsn: 120n }], afterInsert).completed;
    const b = run([{ tag: 'delete', table: 'catalog.products', oldRow: row('1') }, { tag: 'commit', commitLsn: 100n, endLsn: 120n }], afterInsert).completed;
    expect(a[0]!.changes).toHaveLength(1);
    expect(b[0]!.changes.map((c) => c.operation)).toEqual(['insert', 'delete']);
  });

  test('a truncate is recorded per table once, and logs no row', () => {
    const { completed } = run([
      { tag: 'begin', commitLsn: 100n, xid: 7 },
      { tag: 'truncate', tables: ['catalog.products', 'catalog.variants', 'catalog.products'] },
      { tag: 'truncate', tables: ['catalog.variants'] },
      { tag: 'commit', commitLsn: 100n, endLsn: 120n },
    ]);
    expect(completed).toEqual([{ lsn: 100n, endLsn: 120n, xid32: 7, changes: [], truncatedTables: ['catalog.products', 'catalog.variants'] }]);
  });

  test('interleaved transactions, changes outside a transaction and mismatched commits are protocol errors', () => {
    const begin: AssemblerInput = { tag: 'begin', commitLsn: 100n, xid: 7 };
    const cases: AssemblerInput[][] = [
      [begin, { tag: 'begin', commitLsn: 200n, xid: 8 }],
      [{ tag: 'insert', table: 'catalog.products', newRow: row('1') }],
      [{ tag: 'delete', table: 'catalog.products', oldRow: row('1') }],
      [{ tag: 'truncate', tables: ['catalog.products'] }],
      [{ tag: 'commit', commitLsn: 100n, endLsn: 120n }],
      [begin, { tag: 'commit', commitLsn: 101n, endLsn: 120n }],
      [begin, { tag: 'commit', commitLsn: 100n, endLsn: 120n }, { tag: 'begin', commitLsn: 100n, xid: 9 }],
    ];
    for (const inputs of cases) {
      expect(() => run(inputs)).toThrow(CaptureError);
      try {
        run(inputs);
      } catch (error) {
        expect((error as CaptureError).code).toBe('CAPTURE_PROTOCOL');
      }
    }
  });
});
