import { expect, test } from 'vitest';
import type { Actor } from './define-mutator.ts';
import { MemoryTx, type TableState } from './memory-tx.ts';
import type { Row } from './mutation-tx.ts';
import { runMutation } from './run-mutation.ts';

const warehouse = '00000000-0000-4000-8000-0000000000f1';
const product = '00000000-0000-4000-8000-00000000a001';
const picker: Actor = { sub: '00000000-0000-4000-8000-0000000000bb', role: 'warehouse', warehouse_id: warehouse, territory_id: null, agent_id: null, customer_id: null };
const lineA = '00000000-0000-4000-8000-00000000b001';
const lineB = '00000000-0000-4000-8000-00000000b002';

let sequence = 0;
async function run(state: TableState, name: string, args: unknown, actor = picker): Promise<TableState> {
  const tx = new MemoryTx(state, 'server');
  await runMutation(name, args, { tx, actor, clientID: 'c', mutationID: ++sequence, now: '2026-11-24T12:00:00.000Z', newID: () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}` });
  return tx.commit();
}

function seeded(): TableState {
  const table = (rows: Row[]) => new Map(rows.map((row) => [String(row.id), row]));
  return new Map<string, Map<string, Row>>([
    ['catalog.products', table([{ id: product, sku: 'TEA-1', barcode: '4006381333931', name: 'Tea', active: true }])],
    ['inventory.stock_items', table([{ id: 's1', warehouse_id: warehouse, product_id: product, on_hand: 10, reserved: 5, available: 5, version: 1 }])],
    ['orders.orders', table([{ id: 'o1', status: 'confirmed', version: 1 }])],
    ['orders.order_items', table([{ id: 'i1', order_id: 'o1', product_id: product, qty: 5, picked_qty: 0, allocated_qty: 4 }])],
    // Another order holds 1 of the 5 reserved units.
    ['inventory.reservations', table([{ id: 'r1', order_item_id: 'i1', order_id: 'o1', status: 'active', qty: 4 }, { id: 'r2', order_item_id: 'i9', order_id: 'o9', status: 'active', qty: 1 }])],
    ['orders.pick_lists', table([{ id: 'p1', order_id: 'o1', warehouse_id: warehouse, status: 'open' }])],
    [
      'orders.pick_lines',
      table([
        { id: lineA, pick_list_id: 'p1', order_item_id: 'i1', warehouse_id: warehouse, product_id: product, bin_id: null, qty: 3, picked_qty: 0, status: 'pending' },
        { id: lineB, pick_list_id: 'p1', order_item_id: 'i1', warehouse_id: warehouse, product_id: product, bin_id: null, qty: 2, picked_qty: 0, status: 'pending' },
      ]),
    ],
  ]);
}

/** `scannedCode` null: nothing was scanned. */
const confirm = (pickLineID: string, qty: number, scannedCode: string | null = '4006381333931') => ({ pickLineID, qty, ...(scannedCode === null ? {} : { scannedCode }), occurredAt: '2026-11-24T11:00:00.000Z' });
const row = (state: TableState, table: string, id: string) => state.get(table)!.get(id)!;

test('confirming every line takes the goods out of stock and the reservation, advances the order line and completes the list', async () => {
  const first = await run(seeded(), 'pick.confirm', confirm(lineA, 3));
  expect(row(first, 'orders.pick_lists', 'p1').status).toBe('in_progress');
  const done = await run(first, 'pick.confirm', confirm(lineB, 1, 'TEA-1')); // one short, scanned by SKU
  expect(row(done, 'orders.pick_lines', lineB)).toMatchObject({ picked_qty: 1, status: 'short' });
  expect(row(done, 'orders.pick_lists', 'p1').status).toBe('completed');
  expect(row(done, 'orders.order_items', 'i1').picked_qty).toBe(4);
  expect(row(done, 'inventory.stock_items', 's1')).toMatchObject({ on_hand: 6, reserved: 1, available: 5 }); // the other order's hold stays
  expect(row(done, 'inventory.reservations', 'r1').qty).toBe(0);
  expect(row(first, 'orders.orders', 'o1').status).toBe('picking');
  const movements = [...done.get('inventory.movements')!.values()].map((movement) => ({ kind: movement.kind, quantity: movement.quantity }));
  expect(movements).toEqual([
    { kind: 'pick', quantity: -3 },
    { kind: 'pick', quantity: -1 },
  ]);
});

test('an empty bin is confirmed as a short pick of nothing, with no scan: the line is short and no stock moves', async () => {
  const state = await run(seeded(), 'pick.confirm', confirm(lineA, 0, null));
  expect(state.get('orders.pick_lines')!.get(lineA)).toMatchObject({ picked_qty: 0, status: 'short' });
  expect([...(state.get('inventory.movements')?.values() ?? [])]).toEqual([]);
});

test('a wrong scan, a second confirmation, too many units, another warehouse or a cancelled order are refused', async () => {
  const cancelled = new Map(seeded());
  cancelled.set('orders.orders', new Map([['o1', { id: 'o1', status: 'cancelled', version: 2 }]]));
  await expect(run(cancelled, 'pick.confirm', confirm(lineA, 3))).rejects.toMatchObject({ code: 'INVALID_STATE' });
  await expect(run(seeded(), 'pick.confirm', confirm(lineA, 3, '999'))).rejects.toMatchObject({ code: 'WRONG_ITEM' });
  await expect(run(seeded(), 'pick.confirm', confirm(lineA, 3, null))).rejects.toMatchObject({ code: 'INVALID_ARGS', message: expect.stringContaining('Scan the item') as unknown });
  await expect(run(seeded(), 'pick.confirm', confirm(lineA, 4))).rejects.toMatchObject({ code: 'INVALID_ARGS' });
  const picked = await run(seeded(), 'pick.confirm', confirm(lineA, 3));
  await expect(run(picked, 'pick.confirm', confirm(lineA, 0))).rejects.toMatchObject({ code: 'INVALID_STATE' });
  const elsewhere: Actor = { ...picker, warehouse_id: '00000000-0000-4000-8000-0000000000f9' };
  await expect(run(seeded(), 'pick.confirm', confirm(lineA, 3), elsewhere)).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
