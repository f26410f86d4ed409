import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from './http-app.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  app?.server.closeAllConnections();
  await app?.close();
});

async function serveBigBody(idleTimeoutMs: number, bytes: number): Promise<number> {
  app = createHttpApp({ idleTimeoutMs });
  app.get('/big', async () => 'x'.repeat(bytes));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

test('a client that stops reading a response is cut off after the idle timeout, not kept with its buffer for good', async () => {
  const port = await serveBigBody(300, 20_000_000); // more than the loopback's socket buffers hold
  const serverSide = new Promise<Socket>((resolve) => app!.server.once('connection', resolve));
  const client = connect(port, '127.0.0.1', () => client.write('GET /big HTTP/1.1\r\nHost: test\r\n\r\n'));
  client.pause(); // reads nothing
  client.on('error', () => {});
  const socket = await serverSide;
  const started = Date.now();
  await new Promise((resolve) => socket.once('close', resolve));
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(Date.now() - started).toBeLessThan(10_000);
  client.destroy();
});

test('a client that reads gets the whole response, however long it takes past the idle timeout', async () => {
  const size = 30_000_000; // more than the loopback's socket buffers hold: a cut would show as bytes missing
  const port = await serveBigBody(300, size);
  const client = connect(port, '127.0.0.1', () => client.write('GET /big HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n'));
  let bytes = 0;
  let chunks = 0;
  // Slow but steady: a pause every few chunks, so the whole takes several idle timeouts.
  client.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (++chunks % 8 === 0) {
      client.pause();
      setTimeout(() => client.resume(), 20);
    }
  });
  const started = Date.now();
  await new Promise((resolve) => client.once('close', resolve));
  expect(Date.now() - started).toBeGreaterThan(600);
  expect(bytes).toBeGreaterThan(size); // the head and the whole body
});

async function serveEcho(): Promise<string> {
  app = createHttpApp();
  app.post('/echo', async (request) => ({ got: request.body }));
  app.get('/rows/:id', async (request) => request.params);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

test('a body declared in a charset other than UTF-8 is a 415, not stored mangled; UTF-8, declared or not, is read', async () => {
  const base = await serveEcho();
  const latin1 = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json; charset=ISO-8859-1' }, body: Buffer.from('{"name":"caf\xe9"}', 'latin1') });
  expect(latin1.status).toBe(415);
  expect(await latin1.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF8"']) {
    const utf8 = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': type }, body: '{"name":"café"}' });
    expect(await utf8.json()).toEqual({ got: { name: 'café' } });
  }
});

test('what Node or the router refuses (headers over 16 KB, a bad URL, an overlong path parameter) is answered with a code and a message', async () => {
  const base = await serveEcho();
  const headers = await fetch(`${base}/echo`, { headers: { 'x-big': 'y'.repeat(20_000) } });
  expect(headers.status).toBe(431);
  expect(await headers.json()).toMatchObject({ code: 'HEADERS_TOO_LARGE', message: expect.any(String) as unknown });
  const badUrl = await fetch(`${base}/rows/%zz`);
  expect(badUrl.status).toBe(400);
  expect(await badUrl.json()).toMatchObject({ code: 'BAD_REQUEST' });
  const longParam = await fetch(`${base}/rows/${'a'.repeat(200)}`);
  expect(longParam.status).toBe(400);
  expect(await longParam.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
});
