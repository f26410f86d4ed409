import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { errorCatalogue } from '@niaga/protocol';
import { buildServer } from './build-server.ts';
import { loadConfig } from './config.ts';

let database: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: database.url, JWT_SECRET: 'x'.repeat(48), LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: '2048' }, mkdtempSync(join(tmpdir(), 'niaga-')));
  app = await buildServer(config, { db: database.db });
});
afterAll(async () => {
  await app.close();
  await database.drop();
});

test('health and readiness answer', async () => {
  expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
  expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
});

test('the OpenAPI document is generated from the route schemas and lists every domain', async () => {
  const response = await app.inject({ url: '/api/v1/openapi.json' });
  expect(response.statusCode).toBe(200);
  const doc = response.json<{ openapi: string; paths: Record<string, object> }>();
  expect(doc.openapi).toMatch(/^3\./);
  for (const path of [
    '/api/v1/auth/login',
    '/api/v1/auth/refresh',
    '/api/v1/auth/logout',
    '/api/v1/catalog/products',
    '/api/v1/catalog/products/{id}',
    '/api/v1/catalog/categories',
    '/api/v1/inventory/warehouses',
    '/api/v1/inventory/stock',
    '/api/v1/inventory/transfers',
    '/api/v1/orders/',
    '/api/v1/orders/{id}',
    '/api/v1/customers/',
    '/api/v1/customers/{id}',
    '/api/v1/agents/',
    '/api/v1/agents/{id}',
  ]) {
    expect(Object.keys(doc.paths).some((p) => p === path || p === path.replace(/\/$/, '')), path).toBe(true);
  }
  const docs = await app.inject({ url: '/api/v1/docs/' });
  expect(docs.statusCode).toBe(200);
  expect(docs.headers['content-type']).toContain('text/html');
});

test('an unknown route is a 404 with a code', async () => {
  const response = await app.inject({ url: '/api/v1/nope' });
  expect(response.statusCode).toBe(404);
  expect(response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
});

test('malformed JSON is a 400, a wrong content type 415, an oversized body 413', async () => {
  const malformed = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
  expect(malformed.statusCode).toBe(400);
  expect(malformed.json()).toMatchObject({ code: 'BAD_REQUEST' });
  const wrongType = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
  expect(wrongType.statusCode).toBe(415);
  expect(wrongType.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  const huge = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@b.c', password: 'x'.repeat(4000) } });
  expect(huge.statusCode).toBe(413);
  expect(huge.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
});

test('every error code the API can answer is in the catalogue with a status', async () => {
  const response = await app.inject({ url: '/api/v1/catalog/products', headers: { authorization: 'Basic abc' } });
  expect(response.statusCode).toBe(401);
  const { code } = response.json<{ code: keyof typeof errorCatalogue }>();
  expect(errorCatalogue[code].status).toBe(401);
});

test('/metrics exposes live clients, live shapes, the log position and response times in Prometheus format', async () => {
  await app.inject({ url: '/healthz' });
  const response = await app.inject({ url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain');
  for (const name of ['niaga_shape_live_requests 0', 'niaga_live_shapes 0', 'niaga_live_shape_log_messages 0', 'niaga_change_log_position', 'niaga_shape_snapshots_total', 'niaga_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz",status="200"}']) {
    expect(response.body).toContain(name);
  }
});
