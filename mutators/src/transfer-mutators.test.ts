import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { Actor } from './define-mutator.ts';
import { MemoryTx, type TableState } from './memory-tx.ts';
import { MutationRejected } from './outcome.ts';
import { runMutation } from './run-mutation.ts';

const from = '00000000-0000-4000-8000-0000000000f1';
const to = '00000000-0000-4000-8000-0000000000f2';
const products = ['00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000a002', '00000000-0000-4000-8000-00000000a003'];
const transferID = '00000000-0000-4000-8000-0000000000c1';
const admin: Actor = { sub: '00000000-0000-4000-8000-0000000000aa', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null };
const picker = (warehouse: string): Actor => ({ ...admin, role: 'warehouse', warehouse_id: warehouse });

let ids = 0;
async function run(state: TableState, actor: Actor, name: string, args: unknown): Promise<TableState> {
  const tx = new MemoryTx(state, 'server');
  ids += 1;
  await runMutation(name, args, { tx, actor, clientID: 'c', mutationID: ids, now: '2026-11-24T10:00:00.000Z', newID: () => `00000000-0000-4000-8000-${String(ids++).padStart(12, '0')}` });
  return tx.commit();
}

function seeded(): TableState {
  return new Map([
    ['inventory.warehouses', new Map([from, to].map((id) => [id, { id }]))],
    ['catalog.products', new Map(products.map((id, index) => [id, { id, sku: `SKU-${index}`, name: `P${index}`, active: true }]))],
    [
      'inventory.stock_items',
      new Map(products.map((product, index) => [`s${index}`, { id: `s${index}`, warehouse_id: from, product_id: product, on_hand: 100, reserved: 0, available: 100, version: 1 }])),
    ],
  ]);
}

/** What must not depend on the order ship and receive arrived in. */
function outcome(state: TableState) {
  const rows = (table: string) => [...(state.get(table)?.values() ?? [])];
  const stock = rows('inventory.stock_items')
    .map((row) => `${String(row.warehouse_id)}/${String(row.product_id)}=${String(row.on_hand)}`)
    .sort();
  const movements = rows('inventory.movements')
    .map((row) => `${String(row.kind)} ${String(row.warehouse_id)}/${String(row.product_id)} ${String(row.quantity)}`)
    .sort();
  const lines = rows('inventory.transfer_lines').map((row) => `${String(row.product_id)} ${String(row.shipped_qty)}/${String(row.received_qty)}`).sort();
  return { status: state.get('inventory.transfers')?.get(transferID)?.status, stock, movements, lines };
}

test('ship and receive commute: either order ends in the same state, and quantity is conserved', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ qty: fc.integer({ min: 1, max: 50 }), shipped: fc.integer({ min: 0, max: 50 }), received: fc.integer({ min: 0, max: 50 }) }), { minLength: 1, maxLength: 3 }),
      async (lines) => {
        let state = await run(seeded(), picker(from), 'transfer.create', {
          transferID,
          fromWarehouseID: from,
          toWarehouseID: to,
          lines: lines.map((line, index) => ({ lineID: `00000000-0000-4000-8000-0000000001${String(index).padStart(2, '0')}`, productID: products[index], qty: line.qty })),
        });
        const ship = { transferID, lines: lines.map((line, index) => ({ productID: products[index], qty: line.shipped })), occurredAt: '2026-11-24T09:00:00.000Z' };
        const receive = { transferID, lines: lines.map((line, index) => ({ productID: products[index], qty: line.received })), occurredAt: '2026-11-24T09:30:00.000Z' };
        const shipFirst = await run(await run(state, picker(from), 'transfer.ship', ship), picker(to), 'transfer.receive', receive);
        const receiveFirst = await run(await run(state, picker(to), 'transfer.receive', receive), picker(from), 'transfer.ship', ship);
        expect(outcome(receiveFirst)).toEqual(outcome(shipFirst));
        state = shipFirst;
        const matches = lines.every((line) => line.shipped === line.received);
        expect(outcome(state).status).toBe(matches ? 'received' : 'discrepancy');
        // Conservation: what left the source is what arrived plus what is in transit or lost.
        const total = (warehouse: string) => [...state.get('inventory.stock_items')!.values()].filter((row) => row.warehouse_id === warehouse).reduce((sum, row) => sum + Number(row.on_hand), 0);
        const shipped = lines.reduce((sum, line) => sum + line.shipped, 0);
        const received = lines.reduce((sum, line) => sum + line.received, 0);
        expect(total(from)).toBe(300 - shipped);
        expect(total(to)).toBe(received);
      },
    ),
    { numRuns: 60 },
  );
});

test('only pickers of the right warehouse ship and receive, and each end happens once', async () => {
  const state = await run(seeded(), admin, 'transfer.create', {
    transferID,
    fromWarehouseID: from,
    toWarehouseID: to,
    lines: [{ lineID: '00000000-0000-4000-8000-000000000100', productID: products[0], qty: 5 }],
  });
  const ship = { transferID, lines: [{ productID: products[0], qty: 5 }], occurredAt: '2026-11-24T09:00:00.000Z' };
  await expect(run(state, picker(to), 'transfer.ship', ship)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  const shipped = await run(state, picker(from), 'transfer.ship', ship);
  await expect(run(shipped, picker(from), 'transfer.ship', ship)).rejects.toBeInstanceOf(MutationRejected);
  await expect(run(shipped, picker(to), 'transfer.receive', { ...ship, lines: [{ productID: products[1], qty: 1 }] })).rejects.toMatchObject({ code: 'INVALID_ARGS' });
});

test('creating a transfer emits transfer.created with both warehouses and the lines', async () => {
  const events: { type: string; payload: unknown }[] = [];
  const tx = new MemoryTx(seeded(), 'server');
  const lines = [{ lineID: '00000000-0000-4000-8000-0000000000d1', productID: products[0]!, qty: 4 }];
  await runMutation('transfer.create', { transferID, fromWarehouseID: from, toWarehouseID: to, lines }, {
    tx,
    actor: picker(from),
    clientID: 'c',
    mutationID: 1,
    now: '2026-11-24T10:00:00.000Z',
    newID: () => 'x',
    emit: async (type, payload) => void events.push({ type, payload }),
  });
  expect(events).toEqual([{ type: 'transfer.created', payload: { transferID, fromWarehouseID: from, toWarehouseID: to, lines: [{ productID: products[0], qty: 4 }] } }]);
});
