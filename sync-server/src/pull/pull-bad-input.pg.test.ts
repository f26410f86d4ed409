/**
 * Every pull request is validated: bad input is a 4xx with a code from the catalogue (never a
 * 500), and other pull or schema versions get the 200 body Replicache acts on.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { errorCatalogue } from '@niaga/protocol';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';

let database: TestDatabase;
let server: ShapeServer;
let token: string;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startShapeServer(database.db);
  token = await server.token('customer', { customer_id: randomUUID() });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

async function pullRaw(payload: string, headers: Record<string, string> = {}) {
  const response = await server.app.inject({
    method: 'POST',
    url: '/api/v1/sync/pull',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    payload,
  });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

const valid = { pullVersion: 1, clientGroupID: 'group-1', cookie: null, profileID: 'p', schemaVersion: '1' };

test('other pull versions get 200 {error: VersionNotSupported, versionType: pull}, as Replicache expects', async () => {
  const legacy = { pullVersion: 0, clientID: 'c', lastMutationID: 3, cookie: 1, schemaVersion: '' };
  expect(await pullRaw(JSON.stringify(legacy))).toEqual({ status: 200, body: { error: 'VersionNotSupported', versionType: 'pull' } });
  expect(await pullRaw(JSON.stringify({ ...valid, pullVersion: 2 }))).toEqual({ status: 200, body: { error: 'VersionNotSupported', versionType: 'pull' } });
});

test('an unknown schema version gets 200 {error: VersionNotSupported, versionType: schema}', async () => {
  expect(await pullRaw(JSON.stringify({ ...valid, schemaVersion: '99' }))).toEqual({ status: 200, body: { error: 'VersionNotSupported', versionType: 'schema' } });
});

test('a pull without a valid token is 401 before anything else is looked at', async () => {
  const anonymous = await server.app.inject({ method: 'POST', url: '/api/v1/sync/pull', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pullVersion: 0 }) });
  expect(anonymous.statusCode).toBe(401);
  expect(anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  expect(await pullRaw(JSON.stringify(valid), { authorization: 'Bearer not-a-token' })).toMatchObject({ status: 401 });
});

test('malformed requests are 400 with a code and a message naming the problem', async () => {
  const cases: [string, string, RegExp][] = [
    [JSON.stringify({ ...valid, clientGroupID: undefined }), 'VALIDATION_FAILED', /clientGroupID/],
    [JSON.stringify({ ...valid, clientGroupID: '' }), 'VALIDATION_FAILED', /clientGroupID/],
    [JSON.stringify({ ...valid, clientGroupID: 'x'.repeat(65) }), 'VALIDATION_FAILED', /clientGroupID/],
    [JSON.stringify({ ...valid, cookie: undefined }), 'VALIDATION_FAILED', /cookie/],
    [JSON.stringify({ ...valid, cookie: [1, 2] }), 'VALIDATION_FAILED', /cookie/],
    [JSON.stringify({ ...valid, cookie: { order: [1, 2] } }), 'VALIDATION_FAILED', /cookie/],
    [JSON.stringify({ ...valid, cookie: {} }), 'VALIDATION_FAILED', /cookie/],
    [JSON.stringify({ ...valid, cookie: { order: 'x'.repeat(2000) } }), 'VALIDATION_FAILED', /cookie/],
    [JSON.stringify({ ...valid, surprise: 1 }), 'VALIDATION_FAILED', /additional/],
    [JSON.stringify({ ...valid, profileID: { id: 7 } }), 'VALIDATION_FAILED', /profileID/],
    [JSON.stringify([valid]), 'VALIDATION_FAILED', /object/],
    ['"pull"', 'VALIDATION_FAILED', /object/],
    ['{"pullVersion": 1,', 'BAD_REQUEST', /JSON/],
  ];
  for (const [payload, code, message] of cases) {
    const { status, body } = await pullRaw(payload);
    expect({ payload, status, code: body.code }).toEqual({ payload, status: 400, code });
    expect(body.message).toMatch(message);
  }
  const plain = await server.app.inject({ method: 'POST', url: '/api/v1/sync/pull', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, payload: 'a,b' });
  expect(plain.statusCode).toBe(415);
  expect(plain.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
});

test('any JSON body is answered with a 200 or a catalogued 4xx, never a 500', async () => {
  const almostValid = fc.record(
    {
      pullVersion: fc.oneof(fc.constant(1), fc.integer(), fc.string()),
      clientGroupID: fc.oneof(fc.string({ maxLength: 70 }), fc.integer()),
      cookie: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 2 }), fc.record({ order: fc.oneof(fc.string(), fc.integer(), fc.double()) }, { requiredKeys: [] })),
      schemaVersion: fc.oneof(fc.constant('1'), fc.string({ maxLength: 40 })),
      extra: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  );
  await fc.assert(
    fc.asyncProperty(fc.oneof(almostValid, fc.jsonValue({ maxDepth: 3 })), async (body) => {
      const { status, body: answer } = await pullRaw(JSON.stringify(body) ?? 'null');
      if (status === 200) expect(answer.error === 'VersionNotSupported' || Array.isArray(answer.patch)).toBe(true);
      else {
        expect([400, 403]).toContain(status);
        expect(errorCatalogue[answer.code as keyof typeof errorCatalogue]?.status).toBe(status);
      }
    }),
    { numRuns: 150 },
  );
});
