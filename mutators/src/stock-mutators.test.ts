import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { Actor } from './define-mutator.ts';
import { MemoryTx, type TableState } from './memory-tx.ts';
import type { Row } from './mutation-tx.ts';
import { runMutation } from './run-mutation.ts';

const warehouse = '00000000-0000-4000-8000-0000000000f1';
const product = '00000000-0000-4000-8000-00000000a001';
const admin: Actor = { sub: '00000000-0000-4000-8000-0000000000aa', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null };
const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 8, minute)).toISOString();

let sequence = 0;
const nextID = () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;

async function run(state: TableState, name: string, args: unknown, threshold = 1_000_000) {
  const tx = new MemoryTx(state, 'server');
  const outcome = await runMutation(name, args, {
    tx,
    actor: admin,
    clientID: 'c',
    mutationID: ++sequence,
    now: '2026-11-24T12:00:00.000Z',
    newID: nextID,
    policy: { countVarianceThreshold: threshold, priceHonourWindowMs: 0 },
  });
  return { state: tx.commit(), outcome };
}

function seeded(onHand: number): TableState {
  return new Map<string, Map<string, Row>>([
    ['catalog.products', new Map([[product, { id: product, sku: 'TEA', name: 'Tea', active: true }]])],
    ['inventory.stock_items', new Map([['s1', { id: 's1', warehouse_id: warehouse, product_id: product, on_hand: onHand, reserved: 0, available: onHand, version: 1 }]])],
  ]);
}

type Intent = { kind: 'adjust'; id: string; delta: number; minute: number } | { kind: 'count'; id: string; qty: number; minute: number };

const intentsArb = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant('adjust' as const), delta: fc.integer({ min: -5, max: 5 }).filter((delta) => delta !== 0), minute: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('count' as const), qty: fc.integer({ min: 0, max: 40 }), minute: fc.integer({ min: 0, max: 9 }) }),
    ),
    { minLength: 1, maxLength: 8 },
  )
  // Times may repeat: counts of one instant are ordered by id, and a movement of a count's instant counts as seen by it.
  .map((intents) => intents.map((intent, index): Intent => ({ ...intent, id: `00000000-0000-4000-8000-1000000000${String(index).padStart(2, '0')}` })));

async function deliver(intents: readonly Intent[], order: readonly number[]): Promise<TableState> {
  let state = seeded(10);
  for (const index of order) {
    const intent = intents[index]!;
    const args =
      intent.kind === 'adjust'
        ? { adjustmentID: intent.id, warehouseID: warehouse, productID: product, delta: intent.delta, reason: 'r', occurredAt: at(intent.minute) }
        : { countID: intent.id, warehouseID: warehouse, productID: product, countedQty: intent.qty, occurredAt: at(intent.minute) };
    state = (await run(state, intent.kind === 'adjust' ? 'stock.adjust' : 'stock.count', args)).state;
  }
  return state;
}

const onHand = (state: TableState) => Number(state.get('inventory.stock_items')!.get('s1')!.on_hand);
const countStatuses = (state: TableState) =>
  Object.fromEntries([...(state.get('inventory.count_lines')?.values() ?? [])].map((count) => [String(count.id), String(count.status)]));

test('on hand = the latest count + the movements after it, whatever order the observations arrive in', async () => {
  await fc.assert(
    fc.asyncProperty(
      intentsArb.chain((intents) => fc.tuple(fc.constant(intents), fc.shuffledSubarray(intents.map((_, index) => index), { minLength: intents.length }))),
      async ([intents, shuffled]) => {
        const inOrder = await deliver(intents, intents.map((_, index) => index));
        const shuffledState = await deliver(intents, shuffled);
        expect(onHand(shuffledState)).toBe(onHand(inOrder));
        expect(countStatuses(shuffledState)).toEqual(countStatuses(inOrder));

        const counts = intents.filter((intent) => intent.kind === 'count');
        const latest = counts.reduce<Intent | undefined>((best, count) => (!best || count.minute > best.minute || (count.minute === best.minute && count.id > best.id) ? count : best), undefined);
        const after = (minute: number) => intents.filter((intent) => intent.kind === 'adjust' && intent.minute > minute).reduce((sum, intent) => sum + (intent.kind === 'adjust' ? intent.delta : 0), 0);
        expect(onHand(inOrder)).toBe(latest?.kind === 'count' ? latest.qty + after(latest.minute) : 10 + after(-1));
        for (const count of counts) expect(countStatuses(inOrder)[count.id]).toBe(count === latest ? 'applied' : 'superseded');
      },
    ),
    { numRuns: 200 },
  );
});

test('a count off by more than the threshold waits for an admin; approving applies it, voiding leaves stock alone', async () => {
  const base = seeded(10);
  const count = (id: string, qty: number) => ({ countID: id, warehouseID: warehouse, productID: product, countedQty: qty, occurredAt: at(5) });
  const held = await run(base, 'stock.count', count('00000000-0000-4000-8000-200000000001', 50), 5);
  expect(held.outcome).toMatchObject({ status: 'adjusted', code: 'COUNT_AWAITING_APPROVAL', details: { expected: 10, variance: 40 } });
  expect(onHand(held.state)).toBe(10);
  const approved = await run(held.state, 'count.review', { countID: '00000000-0000-4000-8000-200000000001', decision: 'approve' });
  expect(onHand(approved.state)).toBe(50);
  const voided = await run(held.state, 'count.review', { countID: '00000000-0000-4000-8000-200000000001', decision: 'void' });
  expect(onHand(voided.state)).toBe(10);
  expect(countStatuses(voided.state)).toEqual({ '00000000-0000-4000-8000-200000000001': 'voided' });
  const small = await run(base, 'stock.count', count('00000000-0000-4000-8000-200000000002', 12), 5);
  expect(small.outcome).toEqual({ status: 'applied' });
  expect(onHand(small.state)).toBe(12);
});

test('a late movement that occurred before the latest count is recorded but leaves on hand alone', async () => {
  const counted = await run(seeded(10), 'stock.count', { countID: '00000000-0000-4000-8000-300000000001', warehouseID: warehouse, productID: product, countedQty: 7, occurredAt: at(30) });
  const late = await run(counted.state, 'stock.adjust', { adjustmentID: '00000000-0000-4000-8000-300000000002', warehouseID: warehouse, productID: product, delta: -3, reason: 'broken', occurredAt: at(10) });
  expect(onHand(late.state)).toBe(7);
  const movement = late.state.get('inventory.movements')!.get('00000000-0000-4000-8000-300000000002')!;
  expect(movement.affects_on_hand).toBe(false);
  const count = late.state.get('inventory.count_lines')!.get('00000000-0000-4000-8000-300000000001')!;
  expect({ expected: count.expected_qty, variance: count.variance }).toEqual({ expected: 7, variance: 0 });
});

test('observations at the same instant end the same whatever order they arrive in: of two counts the one with the greater id applies, a movement counts as seen by the count', async () => {
  const [low, high, adjustment] = ['00000000-0000-4000-8000-400000000001', '00000000-0000-4000-8000-400000000002', '00000000-0000-4000-8000-400000000003'];
  const count = (id: string, qty: number) => ({ name: 'stock.count', args: { countID: id, warehouseID: warehouse, productID: product, countedQty: qty, occurredAt: at(20) } });
  const adjust = { name: 'stock.adjust', args: { adjustmentID: adjustment, warehouseID: warehouse, productID: product, delta: -2, reason: 'r', occurredAt: at(20) } };
  const endings = [];
  for (const order of [
    [count(low, 7), count(high, 9), adjust],
    [count(high, 9), count(low, 7), adjust],
    [adjust, count(low, 7), count(high, 9)],
    [count(high, 9), adjust, count(low, 7)],
  ]) {
    let state = seeded(10);
    for (const mutation of order) state = (await run(state, mutation.name, mutation.args)).state;
    endings.push({ onHand: onHand(state), counts: countStatuses(state) });
  }
  for (const ending of endings) expect(ending).toEqual({ onHand: 9, counts: { [low]: 'superseded', [high]: 'applied' } });
});
