import { expect, test } from 'vitest';
import type { Actor } from './define-mutator.ts';
import { MemoryTx, type TableState } from './memory-tx.ts';
import type { Row } from './mutation-tx.ts';
import { runMutation } from './run-mutation.ts';

const agentID = '00000000-0000-4000-8000-00000000a001';
const orderID = '00000000-0000-4000-8000-00000000d001';
const agent: Actor = { sub: 'u', role: 'agent', warehouse_id: null, territory_id: 't', agent_id: agentID, customer_id: null };
const order = { id: orderID, status: 'confirmed', agent_id: agentID, customer_id: 'c1', currency: 'IDR', total_minor: 10_000 };
const seeded = (status = 'confirmed'): TableState => new Map<string, Map<string, Row>>([['orders.orders', new Map([[orderID, { ...order, status }]])]]);
let next = 0;
const payment = (amountMinor: number, extra: Record<string, unknown> = {}) => ({
  paymentID: `00000000-0000-4000-8000-${String(++next).padStart(12, '0')}`,
  orderID,
  amountMinor,
  method: 'cash',
  occurredAt: '2026-11-24T10:00:00.000Z',
  ...extra,
});

async function record(state: TableState, args: unknown, actor: Actor = agent) {
  const events: { type: string; payload: Readonly<Record<string, unknown>> }[] = [];
  const tx = new MemoryTx(state, 'server');
  const outcome = await runMutation('payment.record', args, { tx, actor, clientID: 'c', mutationID: 1, now: '2026-11-24T10:00:01.000Z', newID: () => 'x', emit: async (type, payload) => void events.push({ type, payload }) });
  return { outcome, events, payments: [...(tx.commit().get('orders.payments')?.values() ?? [])] };
}

test('a payment the order still needs is processed and announced; what is left to pay goes down', async () => {
  const state = seeded();
  const first = await record(state, payment(6_000, { reference: 'SLIP-1' }));
  expect(first.outcome).toEqual({ status: 'applied' });
  expect(first.payments).toMatchObject([{ order_id: orderID, customer_id: 'c1', agent_id: agentID, amount_minor: 6_000, currency: 'IDR', status: 'processed', provider_ref: 'SLIP-1', processed_at: '2026-11-24T10:00:00.000Z' }]);
  expect(first.events).toMatchObject([{ type: 'payment.processed', payload: { orderID, amountMinor: 6_000, outstandingMinor: 4_000 } }]);
});

test('an invoice on credit terms (a pending payment) is settled once the order is paid in full, not before', async () => {
  const credit = { id: 'credit-1', order_id: orderID, amount_minor: 10_000, status: 'pending', method: 'credit' };
  const state: TableState = new Map([...seeded(), ['orders.payments', new Map([[credit.id, credit]])]]);
  const part = await record(state, payment(4_000));
  expect(part.payments.find((row) => row.id === credit.id)).toMatchObject({ status: 'pending' });
  const rest = await record(new Map([...seeded(), ['orders.payments', new Map(part.payments.map((row) => [String(row.id), row]))]]), payment(6_000));
  expect(rest.outcome).toEqual({ status: 'applied' });
  expect(rest.payments.find((row) => row.id === credit.id)).toMatchObject({ status: 'settled' });
  expect(rest.payments.filter((row) => row.status === 'processed').map((row) => row.amount_minor)).toEqual([4_000, 6_000]);
});

test('a second device paying the same invoice offline: the payment is kept as failed, announced, and the device told', async () => {
  const paid = (await record(seeded(), payment(10_000))).payments;
  const state: TableState = new Map([...seeded(), ['orders.payments', new Map(paid.map((row) => [String(row.id), row]))]]);
  const second = await record(state, payment(10_000));
  expect(second.outcome).toMatchObject({ status: 'adjusted', code: 'OVERPAYMENT', details: { outstandingMinor: 0 } });
  expect(second.payments.find((row) => row.status === 'failed')).toMatchObject({ amount_minor: 10_000, processed_at: null, failure_reason: expect.stringContaining('had 0 left to pay') as unknown });
  expect(second.events).toMatchObject([{ type: 'payment.failed', payload: { reason: 'OVERPAYMENT', outstandingMinor: 0 } }]);
});

test('refused: another agent’s order, a cancelled order, a picker or a shopper, a reused id, bad arguments', async () => {
  const other: Actor = { ...agent, agent_id: '00000000-0000-4000-8000-00000000a009' };
  await expect(record(seeded(), payment(100), other)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(record(seeded(), payment(100), { ...agent, agent_id: null })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(record(seeded('cancelled'), payment(100))).rejects.toMatchObject({ code: 'INVALID_STATE' });
  await expect(record(seeded(), payment(100), { ...agent, role: 'warehouse' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  await expect(record(seeded(), payment(100), { ...agent, role: 'customer', customer_id: 'c1' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  const args = payment(100);
  const once = (await record(seeded(), args)).payments;
  await expect(record(new Map([...seeded(), ['orders.payments', new Map(once.map((row) => [String(row.id), row]))]]), args)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  for (const bad of [payment(0), payment(-5), payment(1.5), payment(100, { method: 'iou' }), payment(100, { orderID: 'nope' })]) {
    await expect(record(seeded(), bad)).rejects.toMatchObject({ code: 'INVALID_ARGS' });
  }
  await expect(record(seeded(), payment(100), { ...agent, role: 'admin', agent_id: null })).resolves.toMatchObject({ outcome: { status: 'applied' } });
});
