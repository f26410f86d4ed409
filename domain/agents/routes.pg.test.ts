import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { agentsPlugin } from './plugin.ts';

type Headers = { authorization: string };
type RouteBody = { id: string; agentId: string; territoryId: string; plannedFor: string; status: string; visitedAt: string | null; notes: string };

let database: TestDatabase;
let t: TestApp;
let admin: Headers;
let ayu: Headers;
let budi: Headers;

const territoryA = randomUUID();
const territoryB = randomUUID();
const ayuID = randomUUID();
const budiID = randomUUID();
const customerA = randomUUID();
const customerA2 = randomUUID();
const customerB = randomUUID();
const url = '/api/v1/agents/routes';

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into agents.territories (id, code, name) values ($1, 'T-A', 'A'), ($2, 'T-B', 'B')`, [territoryA, territoryB]);
  await database.db.query(`insert into agents.agents (id, code, name, territory_id) values ($1, 'AYU', 'Ayu', $3), ($2, 'BUDI', 'Budi', $4)`, [
    ayuID,
    budiID,
    territoryA,
    territoryB,
  ]);
  await database.db.query(`insert into customers.customers (id, name, territory_id) values ($1, 'A1', $4), ($2, 'A2', $4), ($3, 'B1', $5)`, [
    customerA,
    customerA2,
    customerB,
    territoryA,
    territoryB,
  ]);
  t = await buildTestApp(agentsPlugin, '/api/v1/agents', { db: database.db });
  admin = await t.as('admin');
  ayu = await t.as('agent', { agent_id: ayuID, territory_id: territoryA });
  budi = await t.as('agent', { agent_id: budiID, territory_id: territoryB });
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

async function plan(payload: Record<string, unknown>, headers: Headers = admin) {
  return t.app.inject({ method: 'POST', url, headers, payload });
}

async function planOK(payload: Record<string, unknown>): Promise<RouteBody> {
  const response = await plan(payload);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<RouteBody>();
}

describe('agent routes', () => {
  test("an admin plans a visit; it takes the agent's territory and its day reads back as a plain date", async () => {
    const route = await planOK({ agentId: ayuID, customerId: customerA, plannedFor: '2025-03-01', sequence: 2, notes: 'bring samples' });
    expect(route).toMatchObject({ agentId: ayuID, territoryId: territoryA, plannedFor: '2025-03-01', sequence: 2, status: 'planned', visitedAt: null });
    const read = await t.app.inject({ url: `${url}/${route.id}`, headers: admin });
    expect(read.json()).toEqual(route);
    const { rows } = await database.db.query(`select planned_for::text as day from agents.routes where id = $1`, [route.id]);
    expect(rows).toEqual([{ day: '2025-03-01' }]);
  });

  test('routes filter by agent, day and status', async () => {
    await planOK({ agentId: ayuID, customerId: customerA2, plannedFor: '2025-04-10' });
    await planOK({ agentId: ayuID, customerId: customerA, plannedFor: '2025-04-11' });
    await planOK({ agentId: budiID, customerId: customerB, plannedFor: '2025-04-10' });
    const days = async (query: string) =>
      (await t.app.inject({ url: `${url}${query}`, headers: admin })).json<{ items: RouteBody[] }>().items.map((item) => `${item.agentId === ayuID ? 'ayu' : 'budi'} ${item.plannedFor}`);
    // Same day: the order between the two is the id tiebreak, so compare sorted.
    expect((await days('?plannedFor=2025-04-10')).sort()).toEqual(['ayu 2025-04-10', 'budi 2025-04-10']);
    expect(await days(`?agentId=${budiID}`)).toEqual(['budi 2025-04-10']);
    expect(await days(`?agentId=${ayuID}&status=skipped`)).toEqual([]);
    expect((await t.app.inject({ url: `${url}?plannedFor=10-04-2025`, headers: admin })).statusCode).toBe(400);
    expect((await t.app.inject({ url: `${url}?status=done`, headers: admin })).statusCode).toBe(400);
  });

  test("an agent sees only their own routes; warehouses and customers are refused", async () => {
    const theirs = await planOK({ agentId: budiID, customerId: customerB, plannedFor: '2025-05-01' });
    const mine = (await t.app.inject({ url, headers: ayu })).json<{ items: RouteBody[] }>().items;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((item) => item.agentId === ayuID)).toBe(true);
    expect((await t.app.inject({ url: `${url}/${theirs.id}`, headers: ayu })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `${url}/${theirs.id}`, headers: budi })).statusCode).toBe(200);
    for (const role of ['warehouse', 'customer'] as const) {
      expect((await t.app.inject({ url, headers: await t.as(role) })).statusCode).toBe(403);
    }
    expect((await t.app.inject({ url })).statusCode).toBe(401);
  });

  test('an agent records a visit on their own route: status, time and notes, nothing else', async () => {
    const route = await planOK({ agentId: ayuID, customerId: customerA, plannedFor: '2025-06-02' });
    const visited = await t.app.inject({ method: 'PATCH', url: `${url}/${route.id}`, headers: ayu, payload: { status: 'visited', notes: 'ordered 3 boxes' } });
    expect(visited.statusCode, visited.body).toBe(200);
    const body = visited.json<RouteBody>();
    expect(body).toMatchObject({ status: 'visited', notes: 'ordered 3 boxes', plannedFor: '2025-06-02' });
    expect(body.visitedAt).not.toBeNull();

    const at = '2025-06-02T09:30:00.000Z';
    const timed = await t.app.inject({ method: 'PATCH', url: `${url}/${route.id}`, headers: ayu, payload: { visitedAt: at } });
    expect(timed.json()).toMatchObject({ visitedAt: at });
    const skipped = await t.app.inject({ method: 'PATCH', url: `${url}/${route.id}`, headers: ayu, payload: { status: 'skipped' } });
    expect(skipped.json()).toMatchObject({ status: 'skipped' });

    for (const payload of [{ plannedFor: '2025-06-03' }, { sequence: 9 }, { status: 'planned', sequence: 1 }]) {
      const refused = await t.app.inject({ method: 'PATCH', url: `${url}/${route.id}`, headers: ayu, payload });
      expect(refused.statusCode, JSON.stringify(payload)).toBe(403);
    }
    const foreign = await t.app.inject({ method: 'PATCH', url: `${url}/${route.id}`, headers: budi, payload: { status: 'visited' } });
    expect(foreign.statusCode).toBe(404);
    const { rows } = await database.db.query(`select planned_for::text as day, sequence, status from agents.routes where id = $1`, [route.id]);
    expect(rows).toEqual([{ day: '2025-06-02', sequence: 0, status: 'skipped' }]);
  });

  test('admins reschedule and delete routes; agents may neither plan nor delete', async () => {
    const route = await planOK({ agentId: ayuID, customerId: customerA, plannedFor: '2025-07-01' });
    const moved = await t.app.inject({ method: 'PATCH', url: `${url}/${route.id}`, headers: admin, payload: { plannedFor: '2025-07-02', sequence: 5 } });
    expect(moved.json()).toMatchObject({ plannedFor: '2025-07-02', sequence: 5 });
    expect((await plan({ agentId: ayuID, customerId: customerA, plannedFor: '2025-07-03' }, ayu)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${route.id}`, headers: ayu })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${route.id}`, headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `${url}/${route.id}`, headers: admin })).statusCode).toBe(404);
  });

  test("an unknown agent or customer is a 400 REFERENCE_NOT_FOUND, and a customer outside the agent's territory a 400", async () => {
    const noAgent = await plan({ agentId: randomUUID(), customerId: customerA, plannedFor: '2025-08-01' });
    expect(noAgent.statusCode).toBe(400);
    expect(noAgent.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    const noCustomer = await plan({ agentId: ayuID, customerId: randomUUID(), plannedFor: '2025-08-01' });
    expect(noCustomer.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    const elsewhere = await plan({ agentId: ayuID, customerId: customerB, plannedFor: '2025-08-01' });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    const { rows } = await database.db.query(`select 1 from agents.routes where planned_for = '2025-08-01'`);
    expect(rows).toEqual([]);
  });

  test('bad route bodies are a 400 listing the problems', async () => {
    const bad = await plan({ agentId: ayuID, customerId: 'x', plannedFor: '2025-13-45', sequence: -1, territoryId: territoryA });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ details: unknown[] }>().details.length).toBeGreaterThanOrEqual(4);
    const route = await planOK({ agentId: ayuID, customerId: customerA, plannedFor: '2025-09-01' });
    const badStatus = await t.app.inject({ method: 'PATCH', url: `${url}/${route.id}`, headers: ayu, payload: { status: 'done' } });
    expect(badStatus.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PATCH', url: `${url}/${route.id}`, headers: ayu, payload: {} })).statusCode).toBe(400);
  });
});
