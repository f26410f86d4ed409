/**
 * Whatever a client sends to `GET /v1/shape`, it gets a 2xx/4xx (never a 5xx), every 4xx says
 * what is wrong with a code and a message, and other clients are not stalled meanwhile.
 * Also: browsers may call it from another origin (CORS preflight and the exposed headers).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, type ShapeServer, startShapeServer } from '../test-support/shape-server.ts';
import { electricHeaders } from './shape-routes.ts';
import { waitFor } from '../test-support/shape-test-kit.ts';

let db: PgliteExecutor;
let server: ShapeServer;

beforeAll(async () => {
  db = await capturedPglite();
  await db.exec(`insert into catalog.products (sku, name, price_minor) values ('B-1', 'Tea', 100), ('B-2', 'Coffee', 200);`);
  server = await startShapeServer(db);
}, 60_000);
afterAll(async () => {
  await server.close();
  await db.close();
});

const pieces = {
  table: ['catalog.products', 'catalog.Products', '"catalog"."products"', 'products', 'auth.users', 'x.y.z', '', 'catalog.products;--', 'pg_catalog.pg_class', '😀.x'],
  offset: ['-1', 'now', '0_0', '0_1', '0_999', '5_0', '-2', 'abc', '1_', '_1', '99999999999999999999999_0', '18446744073709551615_0', '9223372036854775807_0', '0/16B3F70', '', '1e3_0'],
  handle: [undefined, 'nope', '', 'a'.repeat(500), '../../etc/passwd', 'a\u0000b'],
  where: [undefined, 'price_minor > 100', 'price_minor > $1', 'price_minor >', "name = 'x", 'cost_minor > 0', 'foo = 1', '(((((', 'price_minor IN ()', 'x'.repeat(5000), 'sku LIKE $1', 'active', "name = 'a\u0000'", 'active = true'],
  param: [undefined, '100', 'abc', '', "' or 1=1 --", '9'.repeat(40), '%', '\u0000'],
  columns: [undefined, 'id,name', 'name', 'id,cost_minor', 'id,,name', '"ID"', 'id,nope', ''],
  replica: [undefined, 'full', 'partial'],
  live: [undefined, 'true', 'false', 'yes'],
  liveSse: [undefined, 'true'],
};

const requestArb = fc.record({
  table: fc.constantFrom(...pieces.table),
  offset: fc.option(fc.constantFrom(...pieces.offset), { nil: undefined }),
  handle: fc.constantFrom(...pieces.handle),
  where: fc.constantFrom(...pieces.where),
  param: fc.constantFrom(...pieces.param),
  repeatedParam: fc.boolean(),
  columns: fc.constantFrom(...pieces.columns),
  replica: fc.constantFrom(...pieces.replica),
  live: fc.constantFrom(...pieces.live),
  liveSse: fc.constantFrom(...pieces.liveSse),
  auth: fc.constantFrom('admin', 'customer', 'none', 'garbage', 'expired'),
});

test('random requests get 2xx or 4xx with a code and a message, and a live client is not stalled meanwhile', async () => {
  const admin = await server.token('admin');
  const expired = await server.token('admin', {}, -60);
  const tokens = { admin, customer: await server.token('customer', { customer_id: randomUUID() }), none: undefined, garbage: 'not.a.jwt', expired };

  // A live client of another shape, to show bad requests do not hold it up.
  const first = await fetch(`${server.shapeUrl}?table=catalog.products&offset=-1`, { headers: { Authorization: `Bearer ${admin}` } });
  const handle = first.headers.get('electric-handle')!;
  let offset = first.headers.get('electric-offset')!;
  let liveAnswers = 0;
  const answeredAt: number[] = [];
  let running = true;
  const liveLoop = (async () => {
    while (running) {
      const response = await fetch(`${server.shapeUrl}?table=catalog.products&handle=${handle}&offset=${offset}&live=true`, { headers: { Authorization: `Bearer ${admin}` } });
      expect(response.status).toBe(200);
      offset = response.headers.get('electric-offset')!;
      liveAnswers++;
      answeredAt.push(Date.now());
    }
  })();
  const writer = setInterval(() => void db.query(`update catalog.products set price_minor = price_minor + 1 where sku = 'B-1'`), 50);

  const badStarted = Date.now();
  try {
    await fc.assert(
      fc.asyncProperty(requestArb, async (request) => {
        const url = new URL(server.shapeUrl);
        const set = (name: string, value: string | undefined) => value !== undefined && url.searchParams.append(name, value);
        set('table', request.table);
        set('offset', request.offset);
        set('handle', request.handle);
        set('where', request.where);
        set('params[1]', request.param);
        if (request.repeatedParam) set('params[1]', request.param);
        set('columns', request.columns);
        set('replica', request.replica);
        set('live', request.live);
        set('live_sse', request.liveSse);
        const token = tokens[request.auth];
        const abort = AbortSignal.timeout(25_000);
        const response = await fetch(url, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` }, signal: abort });
        const text = request.liveSse === 'true' && response.status === 200 ? '' : await response.text();
        if (request.liveSse === 'true' && response.status === 200) await response.body?.cancel();
        expect(response.status, `${url.search}: ${text}`).toBeLessThan(500);
        if (response.status >= 400 && response.status !== 409) {
          const body = JSON.parse(text) as { code?: unknown; message?: unknown };
          expect(typeof body.code, text).toBe('string');
          expect(typeof body.message, text).toBe('string');
          expect((body.message as string).length).toBeGreaterThan(10);
        }
        if (request.auth === 'expired' || request.auth === 'garbage' || request.auth === 'none') expect(response.status).toBe(401);
      }),
      { numRuns: 200 },
    );
    const badEnded = Date.now();
    // While the bad requests ran, the live client kept answering (writes come every 50 ms).
    const during = [badStarted, ...answeredAt.filter((at) => at > badStarted && at < badEnded), badEnded];
    expect(Math.max(...during.slice(1).map((at, index) => at - during[index]!))).toBeLessThan(2000);
    // A fast run may end before many writes: let it see a few more, as any live client would.
    await waitFor(() => liveAnswers > 5, 'more live answers');
  } finally {
    running = false;
    clearInterval(writer);
    await db.query(`update catalog.products set price_minor = price_minor + 1 where sku = 'B-1'`); // ends the last long-poll
    await liveLoop;
  }
  expect(liveAnswers).toBeGreaterThan(5);
}, 120_000);

test('a browser on another origin may call the shape API: the preflight allows Authorization, responses expose the electric headers', async () => {
  const origin = 'http://shop.example';
  const preflight = await fetch(`${server.shapeUrl}?table=catalog.products&offset=-1`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
  expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');

  const response = await fetch(`${server.shapeUrl}?table=catalog.products&offset=-1`, { headers: { Origin: origin, Authorization: `Bearer ${await server.token('admin')}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  const exposed = response.headers.get('access-control-expose-headers')!.split(',').map((name) => name.trim());
  expect(exposed).toEqual(expect.arrayContaining([...electricHeaders]));
});

test('requests found by fuzzing: a NUL in a handle is a 409, in a where literal or a param a 400; an offset past the bigint range a 400; params[01] or params[1234] a 400', async () => {
  const headers = { Authorization: `Bearer ${await server.token('admin')}` };
  const first = await fetch(`${server.shapeUrl}?table=catalog.products&offset=-1`, { headers });
  const handle = first.headers.get('electric-handle')!;
  await first.text();
  const get = async (query: Record<string, string>) => {
    const response = await fetch(`${server.shapeUrl}?${new URLSearchParams({ table: 'catalog.products', ...query }).toString()}`, { headers });
    return { status: response.status, body: await response.text() };
  };
  expect((await get({ offset: '0_0', handle: 'a\u0000b' })).status).toBe(409);
  for (const query of [{ offset: '-1', where: "name = 'a\u0000'" }, { offset: '-1', where: 'name = $1', 'params[1]': 'a\u0000' }, { offset: '9223372036854775808_0', handle }, { offset: '-1', where: 'name = $1', 'params[1]': 'a', 'params[01]': 'b' }, { offset: '-1', 'params[1234]': 'x' }]) {
    const response = await get(query);
    expect(response.status, response.body).toBe(400);
    expect((JSON.parse(response.body) as { message: string }).message.length).toBeGreaterThan(10);
  }
});

test('one user holding more live requests (shape long-polls, SSE, poke streams) than SHAPE_MAX_LIVE_REQUESTS_PER_USER gets a 429 with retry-after; others are not affected', async () => {
  const limited = await startShapeServer(db, { SHAPE_MAX_LIVE_REQUESTS_PER_USER: '2' });
  const aborter = new AbortController();
  try {
    const sub = randomUUID();
    const mine = await limited.token('admin', { sub });
    const first = await fetch(`${limited.shapeUrl}?table=catalog.products&offset=-1`, { headers: { Authorization: `Bearer ${mine}` } });
    const live = `${limited.shapeUrl}?table=catalog.products&live=true&handle=${first.headers.get('electric-handle')}&offset=${first.headers.get('electric-offset')}`;
    const hold = (token: string, signal: AbortSignal) => fetch(live, { headers: { Authorization: `Bearer ${token}` }, signal }).catch(() => undefined);
    const held = new AbortController();
    void hold(mine, held.signal);
    void hold(mine, aborter.signal);
    const waiting = (count: number) => waitFor(async () => (await limited.app.inject({ url: '/metrics' })).body.includes(`niaga_shape_live_requests ${count}`), `${count} held requests`);
    await waiting(2);

    const refused = await fetch(live, { headers: { Authorization: `Bearer ${mine}` } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
    // The same user over SSE, and a Replicache poke stream, count against the same limit.
    expect((await fetch(`${live}&live_sse=true`, { headers: { Authorization: `Bearer ${mine}` } })).status).toBe(429);
    expect((await fetch(`${limited.baseUrl}/api/v1/sync/poke`, { headers: { Authorization: `Bearer ${mine}` } })).status).toBe(429);
    // Another user (another sub) is not limited by it.
    void hold(await limited.token('admin'), aborter.signal);
    await waiting(3);

    // Once one of the user's requests ends, they may hold another.
    held.abort();
    await waiting(2);
    void hold(mine, aborter.signal);
    await waiting(3);
  } finally {
    aborter.abort();
    await limited.close();
  }
});

test('an offset past the end of the log (the database went back to a backup that kept the handles) is a 409 must-refetch, not an up-to-date that would make the client skip what comes next', async () => {
  const headers = { Authorization: `Bearer ${await server.token('admin')}` };
  const first = await fetch(`${server.shapeUrl}?table=catalog.products&offset=-1`, { headers });
  await first.arrayBuffer();
  const handle = first.headers.get('electric-handle')!;
  const head = BigInt(first.headers.get('electric-offset')!.split('_')[0]!);
  for (const live of ['', '&live=true', '&live=true&live_sse=true']) {
    const ahead = await fetch(`${server.shapeUrl}?table=catalog.products&handle=${handle}&offset=${head + 1000n}_0${live}`, { headers });
    expect(ahead.status, live).toBe(409);
    expect(await ahead.json()).toEqual([{ headers: { control: 'must-refetch' } }]);
  }
  // The offset the server gave is still fine.
  expect((await fetch(`${server.shapeUrl}?table=catalog.products&handle=${handle}&offset=${head}_0`, { headers })).status).toBe(200);
});
