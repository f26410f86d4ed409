import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { agentsPlugin } from './plugin.ts';

type Headers = { authorization: string };
type AgentBody = { id: string; code: string; territoryId: string; [key: string]: unknown };

let database: TestDatabase;
let t: TestApp;
let admin: Headers;
let agentSeeded: Headers;

const territoryA = randomUUID();
const territoryB = randomUUID();
const seededAgentID = randomUUID();
const otherAgentID = randomUUID();
const base = '/api/v1/agents';

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into agents.territories (id, code, name, region) values ($1, 'T-A', 'Alpha', 'West'), ($2, 'T-B', 'Beta', 'East')`, [
    territoryA,
    territoryB,
  ]);
  await database.db.query(
    `insert into agents.agents (id, code, name, email, territory_id) values ($1, 'AG-1', 'Ayu', 'ayu@example.com', $3), ($2, 'AG-2', 'Budi', null, $4)`,
    [seededAgentID, otherAgentID, territoryA, territoryB],
  );
  t = await buildTestApp(agentsPlugin, base, { db: database.db });
  admin = await t.as('admin');
  agentSeeded = await t.as('agent', { agent_id: seededAgentID, territory_id: territoryA });
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

async function codes(headers: Headers, path: string): Promise<string[]> {
  const response = await t.app.inject({ url: `${base}${path}`, headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: { code: string }[] }>().items.map((item) => item.code);
}

describe('agents', () => {
  test('the list is GET /api/v1/agents, one agent GET /api/v1/agents/<id>, and static sub-paths are not read as ids', async () => {
    expect(await codes(admin, '')).toEqual(expect.arrayContaining(['AG-1', 'AG-2']));
    const one = await t.app.inject({ url: `${base}/${seededAgentID}`, headers: admin });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: seededAgentID, code: 'AG-1', territoryId: territoryA, warehouseId: null, commissionRateBp: 0 });
    for (const path of ['/territories', '/routes', '/commissions']) {
      const response = await t.app.inject({ url: `${base}${path}`, headers: admin });
      expect(response.statusCode, `${path}: ${response.body}`).toBe(200);
      expect(response.json()).toHaveProperty('items');
    }
  });

  test('an admin creates, patches and deletes an agent', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: base,
      headers: admin,
      payload: { code: 'AG-NEW', name: 'Citra', territoryId: territoryA, commissionRateBp: 250, phone: '+62 811 000' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const agent = created.json<AgentBody>();
    expect(agent).toMatchObject({ code: 'AG-NEW', commissionRateBp: 250, active: true });

    const patched = await t.app.inject({ method: 'PATCH', url: `${base}/${agent.id}`, headers: admin, payload: { territoryId: territoryB, active: false } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ territoryId: territoryB, active: false });

    expect((await t.app.inject({ method: 'DELETE', url: `${base}/${agent.id}`, headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `${base}/${agent.id}`, headers: admin })).statusCode).toBe(404);
  });

  test('an agent sees only their own row; warehouses and customers are refused', async () => {
    expect(await codes(agentSeeded, '')).toEqual(['AG-1']);
    expect((await t.app.inject({ url: `${base}/${seededAgentID}`, headers: agentSeeded })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `${base}/${otherAgentID}`, headers: agentSeeded })).statusCode).toBe(404);
    for (const role of ['warehouse', 'customer'] as const) {
      const headers = await t.as(role, { warehouse_id: randomUUID(), customer_id: randomUUID() });
      expect((await t.app.inject({ url: base, headers })).statusCode).toBe(403);
      expect((await t.app.inject({ url: `${base}/${seededAgentID}`, headers })).statusCode).toBe(403);
    }
    expect((await t.app.inject({ url: base })).statusCode).toBe(401);
  });

  test('only admins write agents', async () => {
    const create = await t.app.inject({ method: 'POST', url: base, headers: agentSeeded, payload: { code: 'AG-SELF', name: 'Self', territoryId: territoryA } });
    expect(create.statusCode).toBe(403);
    const raise = await t.app.inject({ method: 'PATCH', url: `${base}/${seededAgentID}`, headers: agentSeeded, payload: { commissionRateBp: 10_000 } });
    expect(raise.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/${otherAgentID}`, headers: agentSeeded })).statusCode).toBe(403);
    const { rows } = await database.db.query('select commission_rate_bp from agents.agents where id = $1', [seededAgentID]);
    expect(rows).toEqual([{ commission_rate_bp: 0 }]);
  });

  test('bad agent bodies are a 400, an unknown territory a 400 REFERENCE_NOT_FOUND, a duplicate code a 409', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: base,
      headers: admin,
      payload: { code: 'bad code', name: '', territoryId: 'x', commissionRateBp: 20_000, email: 'nope' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ details: unknown[] }>().details.length).toBeGreaterThanOrEqual(5);
    const unknown = await t.app.inject({ method: 'POST', url: base, headers: admin, payload: { code: 'AG-LOST', name: 'Lost', territoryId: randomUUID() } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
    const duplicate = await t.app.inject({ method: 'POST', url: base, headers: admin, payload: { code: 'AG-1', name: 'Twin', territoryId: territoryA } });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ code: 'DUPLICATE', details: { constraint: 'agents_code_unique' } });
    expect((await t.app.inject({ method: 'PATCH', url: `${base}/${seededAgentID}`, headers: admin, payload: {} })).statusCode).toBe(400);
  });

  test('agent lists filter by territory, active flag and search text', async () => {
    await database.db.query(`insert into agents.agents (code, name, phone, territory_id, active) values ('AG-IDLE', 'Dewi Idle', '0800-123', $1, false)`, [territoryB]);
    expect(await codes(admin, `?territoryId=${territoryB}`)).toEqual(['AG-2', 'AG-IDLE']);
    expect(await codes(admin, `?territoryId=${territoryB}&active=true`)).toEqual(['AG-2']);
    expect(await codes(admin, '?q=ayu@example')).toEqual(['AG-1']);
    expect(await codes(admin, '?q=0800')).toEqual(['AG-IDLE']);
  });
});

describe('territories', () => {
  test('admins, agents and warehouses read territories; customers are refused', async () => {
    for (const role of ['admin', 'agent', 'warehouse'] as const) {
      expect(await codes(await t.as(role), '/territories')).toEqual(expect.arrayContaining(['T-A', 'T-B']));
    }
    const one = await t.app.inject({ url: `${base}/territories/${territoryA}`, headers: await t.as('warehouse') });
    expect(one.json()).toMatchObject({ id: territoryA, code: 'T-A', name: 'Alpha', region: 'West' });
    expect((await t.app.inject({ url: `${base}/territories`, headers: await t.as('customer') })).statusCode).toBe(403);
    expect(await codes(admin, '/territories?q=East')).toEqual(['T-B']);
  });

  test('admins create, patch and delete territories; agents may not', async () => {
    const created = await t.app.inject({ method: 'POST', url: `${base}/territories`, headers: admin, payload: { code: 'T-NEW', name: 'New' } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    const patched = await t.app.inject({ method: 'PATCH', url: `${base}/territories/${id}`, headers: admin, payload: { region: 'North' } });
    expect(patched.json()).toMatchObject({ code: 'T-NEW', region: 'North' });

    expect((await t.app.inject({ method: 'POST', url: `${base}/territories`, headers: agentSeeded, payload: { code: 'T-X', name: 'X' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: `${base}/territories/${id}`, headers: agentSeeded, payload: { name: 'Y' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/territories/${id}`, headers: agentSeeded })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/territories/${id}`, headers: admin })).statusCode).toBe(204);
  });

  test('a territory that still has agents cannot be deleted', async () => {
    const refused = await t.app.inject({ method: 'DELETE', url: `${base}/territories/${territoryA}`, headers: admin });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'INVALID_STATE' });
    expect((await t.app.inject({ url: `${base}/territories/${territoryA}`, headers: admin })).statusCode).toBe(200);
  });

  test('bad territory bodies are a 400 and a duplicate code a 409', async () => {
    const bad = await t.app.inject({ method: 'POST', url: `${base}/territories`, headers: admin, payload: { code: 'lower', name: '', extra: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ details: unknown[] }>().details.length).toBeGreaterThanOrEqual(3);
    const duplicate = await t.app.inject({ method: 'POST', url: `${base}/territories`, headers: admin, payload: { code: 'T-A', name: 'Again' } });
    expect(duplicate.statusCode).toBe(409);
  });
});
