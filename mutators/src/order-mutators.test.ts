import { expect, test } from 'vitest';
import type { Actor } from './define-mutator.ts';
import { MemoryTx, type TableState } from './memory-tx.ts';
import type { Row } from './mutation-tx.ts';
import { runMutation } from './run-mutation.ts';

const orderID = '00000000-0000-4000-8000-00000000d001';
const state: TableState = new Map<string, Map<string, Row>>([['orders.orders', new Map([[orderID, { id: orderID, status: 'placed', agent_id: null, customer_id: 'c', version: 1 }]])]]);
const actor = (role: Actor['role'], claims: Partial<Actor> = {}): Actor => ({ sub: 'u', role, warehouse_id: null, territory_id: null, agent_id: null, customer_id: null, ...claims });
const cancel = (who: Actor) =>
  runMutation('order.cancel', { orderID, reason: 'mine now' }, { tx: new MemoryTx(state, 'server'), actor: who, clientID: 'c', mutationID: 1, now: '2026-11-24T10:00:00Z', newID: () => 'x' });

test('a missing claim never matches a missing owner: an agent or shopper without a profile cannot cancel an admin order', async () => {
  await expect(cancel(actor('agent'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(cancel(actor('customer'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(cancel(actor('agent', { agent_id: '00000000-0000-4000-8000-00000000a009' }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(cancel(actor('admin'))).resolves.toEqual({ status: 'applied' });
});

test('an agent without a territory cannot place orders', async () => {
  const place = runMutation(
    'order.place',
    { orderID, customerID: '00000000-0000-4000-8000-00000000c001', lines: [{ lineID: '00000000-0000-4000-8000-00000000e001', productID: '00000000-0000-4000-8000-00000000f001', qty: 1, unitPrice: 1 }], occurredAt: '2026-11-24T10:00:00Z' },
    { tx: new MemoryTx(new Map(), 'server'), actor: actor('agent', { agent_id: '00000000-0000-4000-8000-00000000a001' }), clientID: 'c', mutationID: 1, now: '2026-11-24T10:00:00Z', newID: () => 'x' },
  );
  await expect(place).rejects.toMatchObject({ code: 'FORBIDDEN' });
});
