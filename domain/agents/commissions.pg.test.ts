import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { agentsPlugin } from './plugin.ts';

type Headers = { authorization: string };
type CommissionBody = { id: string; agentId: string; status: string; amountMinor: number };

let database: TestDatabase;
let t: TestApp;
let admin: Headers;
let ayu: Headers;

const territory = randomUUID();
const ayuID = randomUUID();
const budiID = randomUUID();
const url = '/api/v1/agents/commissions';

async function seedCommission(agentID: string, status = 'pending', amountMinor = 1_000): Promise<string> {
  const { rows } = await database.db.query<{ id: string }>(
    `insert into agents.commissions (agent_id, order_id, amount_minor, currency, rate_bp, status) values ($1, $2, $3, 'USD', 500, $4) returning id`,
    [agentID, randomUUID(), amountMinor, status],
  );
  return rows[0]!.id;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into agents.territories (id, code, name) values ($1, 'T-A', 'A')`, [territory]);
  await database.db.query(`insert into agents.agents (id, code, name, territory_id) values ($1, 'AYU', 'Ayu', $3), ($2, 'BUDI', 'Budi', $3)`, [
    ayuID,
    budiID,
    territory,
  ]);
  t = await buildTestApp(agentsPlugin, '/api/v1/agents', { db: database.db });
  admin = await t.as('admin');
  ayu = await t.as('agent', { agent_id: ayuID, territory_id: territory });
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

const statusOf = async (id: string) => (await database.db.query<{ status: string }>('select status from agents.commissions where id = $1', [id])).rows[0]?.status;

describe('commissions', () => {
  test('admins see every commission and filter by agent and status; an agent sees their own', async () => {
    const mine = await seedCommission(ayuID, 'pending', 2_500);
    const theirs = await seedCommission(budiID, 'approved');
    const all = (await t.app.inject({ url, headers: admin })).json<{ items: CommissionBody[] }>().items.map((item) => item.id);
    expect(all).toEqual(expect.arrayContaining([mine, theirs]));
    const approved = (await t.app.inject({ url: `${url}?status=approved`, headers: admin })).json<{ items: CommissionBody[] }>().items;
    expect(approved.map((item) => item.id)).toEqual([theirs]);
    const byAgent = (await t.app.inject({ url: `${url}?agentId=${ayuID}`, headers: admin })).json<{ items: CommissionBody[] }>().items;
    expect(byAgent.every((item) => item.agentId === ayuID)).toBe(true);

    const own = (await t.app.inject({ url, headers: ayu })).json<{ items: CommissionBody[] }>().items;
    expect(own.map((item) => item.id)).toContain(mine);
    expect(own.every((item) => item.agentId === ayuID)).toBe(true);
    expect((await t.app.inject({ url: `${url}/${mine}`, headers: ayu })).json()).toMatchObject({ amountMinor: 2_500, rateBp: 500, currency: 'USD' });
    expect((await t.app.inject({ url: `${url}/${theirs}`, headers: ayu })).statusCode).toBe(404);
  });

  test('warehouses, customers and anonymous callers are refused', async () => {
    for (const role of ['warehouse', 'customer'] as const) {
      expect((await t.app.inject({ url, headers: await t.as(role) })).statusCode).toBe(403);
    }
    expect((await t.app.inject({ url })).statusCode).toBe(401);
  });

  test('an admin approves and then pays a commission; paid is final', async () => {
    const id = await seedCommission(ayuID);
    const approved = await t.app.inject({ method: 'PATCH', url: `${url}/${id}`, headers: admin, payload: { status: 'approved' } });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved' });
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/${id}`, headers: admin, payload: { status: 'paid' } })).statusCode).toBe(200);
    // Repeating the same status is harmless, so a retried request does not fail.
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/${id}`, headers: admin, payload: { status: 'paid' } })).statusCode).toBe(200);

    for (const status of ['pending', 'approved', 'void']) {
      const refused = await t.app.inject({ method: 'PATCH', url: `${url}/${id}`, headers: admin, payload: { status } });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'INVALID_STATE' });
    }
    expect(await statusOf(id)).toBe('paid');
    const skipping = await seedCommission(ayuID);
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/${skipping}`, headers: admin, payload: { status: 'paid' } })).statusCode).toBe(409);
    expect(await statusOf(skipping)).toBe('pending');
  });

  test('agents may not settle their own commissions, and there is no REST create or delete', async () => {
    const id = await seedCommission(ayuID);
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/${id}`, headers: ayu, payload: { status: 'approved' } })).statusCode).toBe(403);
    expect(await statusOf(id)).toBe('pending');
    const create = await t.app.inject({ method: 'POST', url, headers: admin, payload: { agentId: ayuID, orderId: randomUUID(), amountMinor: 1, currency: 'USD', rateBp: 1 } });
    expect(create.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${id}`, headers: admin })).statusCode).toBe(404);
    expect(await statusOf(id)).toBe('pending');
  });

  test('bad commission patches are a 400', async () => {
    const id = await seedCommission(ayuID);
    for (const payload of [{ status: 'cancelled' }, {}, { status: 'approved', amountMinor: 1 }]) {
      const response = await t.app.inject({ method: 'PATCH', url: `${url}/${id}`, headers: admin, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await t.app.inject({ url: `${url}?status=lost`, headers: admin })).statusCode).toBe(400);
  });
});
