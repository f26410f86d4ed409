import { expect, test } from 'vitest';
import type { Actor } from './define-mutator.ts';
import { MemoryTx } from './memory-tx.ts';
import type { Row } from './mutation-tx.ts';
import { runMutation } from './run-mutation.ts';

const admin: Actor = { sub: 'u', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null };

test("moving a customer to another territory moves their addresses with them", async () => {
  const customerID = '00000000-0000-4000-8000-00000000c002';
  const [from, to] = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2'];
  const tx = new MemoryTx(
    new Map<string, Map<string, Row>>([
      ['customers.customers', new Map([[customerID, { id: customerID, name: 'Shop', territory_id: from }]])],
      ['customers.addresses', new Map([['ad1', { id: 'ad1', customer_id: customerID, territory_id: from }]])],
      ['agents.territories', new Map([[to, { id: to, code: 'T2' }]])],
    ]),
    'server',
  );
  await runMutation('customer.upsert', { customerID, name: 'Shop', territoryID: to }, { tx, actor: admin, clientID: 'c', mutationID: 1, now: '2026-11-24T10:00:00Z', newID: () => 'x' });
  expect(tx.commit().get('customers.addresses')!.get('ad1')!.territory_id).toBe(to);
});

test('the server refuses a territory that does not exist; the device, which may not sync territories, lets it stand until then', async () => {
  const customerID = '00000000-0000-4000-8000-00000000c003';
  const nowhere = '00000000-0000-4000-8000-0000000000a9';
  const state = () => new Map<string, Map<string, Row>>([['customers.customers', new Map([[customerID, { id: customerID, name: 'Shop', territory_id: null }]])]]);
  const move = (location: 'device' | 'server') =>
    runMutation('customer.upsert', { customerID, name: 'Shop', territoryID: nowhere }, { tx: new MemoryTx(state(), location), actor: admin, clientID: 'c', mutationID: 1, now: '2026-11-24T10:00:00Z', newID: () => 'x' });
  await expect(move('server')).rejects.toMatchObject({ code: 'NOT_FOUND', message: `Territory ${nowhere} does not exist` });
  await expect(move('device')).resolves.toMatchObject({ status: 'applied' });
});

test("a shopper edits their own name, email and phone, but not the business's notes on them", async () => {
  const customerID = '00000000-0000-4000-8000-00000000c004';
  const shopper: Actor = { ...admin, role: 'customer', customer_id: customerID };
  const upsert = (args: Record<string, unknown>) => {
    const tx = new MemoryTx(new Map<string, Map<string, Row>>([['customers.customers', new Map([[customerID, { id: customerID, name: 'Shop', notes: 'pays late' }]])]]), 'server');
    return runMutation('customer.upsert', { customerID, name: 'Shop', ...args }, { tx, actor: shopper, clientID: 'c', mutationID: 1, now: '2026-11-24T10:00:00Z', newID: () => 'x' });
  };
  await expect(upsert({ notes: 'pays on time' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  await expect(upsert({ phone: '+62 21 555' })).resolves.toMatchObject({ status: 'applied' });
});
