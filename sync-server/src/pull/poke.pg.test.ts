/**
 * The poke stream against real Postgres and logical replication: `ready` on connect, a poke when
 * the caller's view changes and none for changes outside it, tokens in the header or the query,
 * keep-alives, and a clean end when the server closes.
 */
import { randomUUID } from 'node:crypto';
import { authGuard, createTokenService, RevokedSessions } from '@niaga/domain/auth';
import { createHttpApp } from '@niaga/domain/shared';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ChangeFeed } from '../shapes/change-feed.ts';
import { LiveRequestLimit } from '../shapes/live-request-limit.ts';
import { syncedTables } from '../shapes/rules.ts';
import { loadTableCatalog } from '../shapes/table-catalog.ts';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { closeBackend, sleep, waitFor } from '../test-support/shape-test-kit.ts';
import { addCustomer, cartAdd, push, seedShop } from './pull-test-kit.ts';
import { pullRoutes } from './pull-routes.ts';

let backend: PgShapeBackend;
let shop: Awaited<ReturnType<typeof seedShop>>;

beforeAll(async () => {
  backend = await startPgShapeBackend();
  shop = await seedShop(backend.database.db);
}, 60_000);
afterAll(() => closeBackend(backend));

interface PokeListener {
  readonly status: number;
  /** Event names and comments received so far, in order. */
  readonly received: string[];
  /** Resolves when the server ended the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Reads the stream as an EventSource would, recording `event:` names and `:` comments. */
async function listen(url: string, headers: Record<string, string> = {}): Promise<PokeListener> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const received: string[] = [];
  const ended = (async () => {
    if (!response.body || response.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) received.push(line.slice(7));
            else if (line.startsWith(':')) received.push(line);
          }
        }
      }
    } catch {
      // aborted by the test
    }
  })();
  return { status: response.status, received, ended, close: () => abort.abort() };
}

test('the stream says ready at once, pokes when the caller\'s cart changes, and not for another customer\'s', async () => {
  const [me, other] = [await addCustomer(backend.database.db, shop.territoryID), await addCustomer(backend.database.db, shop.territoryID)];
  const [myToken, otherToken] = [await backend.server.token('customer', { customer_id: me }), await backend.server.token('customer', { customer_id: other })];
  await backend.logCaughtUp();
  const listener = await listen(`${backend.server.baseUrl}/api/v1/sync/poke`, { authorization: `Bearer ${myToken}` });
  try {
    expect(listener.status).toBe(200);
    await waitFor(() => listener.received.includes('ready'), 'ready');
    await push(backend.server, otherToken, randomUUID(), [cartAdd(randomUUID(), 1, shop.products.tea, randomUUID())]);
    await backend.logCaughtUp();
    await sleep(300);
    expect(listener.received).toEqual(['ready']);
    await push(backend.server, myToken, randomUUID(), [cartAdd(randomUUID(), 1, shop.products.tea, randomUUID())]);
    await waitFor(() => listener.received.includes('poke'), 'a poke');
    // A catalogue change is in every shopper's view.
    const pokes = listener.received.filter((name) => name === 'poke').length;
    await backend.database.db.query('update catalog.products set price_minor = price_minor + 1 where id = $1', [shop.products.coffee]);
    await waitFor(() => listener.received.filter((name) => name === 'poke').length > pokes, 'a poke for the catalogue');
  } finally {
    listener.close();
  }
});

test('EventSource clients may give the token as access_token; no token or a bad one is a 401 with a code', async () => {
  const token = await backend.server.token('customer', { customer_id: randomUUID() });
  const listener = await listen(`${backend.server.baseUrl}/api/v1/sync/poke?access_token=${encodeURIComponent(token)}`);
  try {
    expect(listener.status).toBe(200);
    await waitFor(() => listener.received.includes('ready'), 'ready');
  } finally {
    listener.close();
  }
  for (const url of ['/api/v1/sync/poke', '/api/v1/sync/poke?access_token=forged']) {
    const response = await fetch(`${backend.server.baseUrl}${url}`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { code: string; message: string };
    expect(['UNAUTHENTICATED', 'TOKEN_EXPIRED']).toContain(body.code);
    expect(body.message).not.toBe('');
  }
  const unknownParam = await fetch(`${backend.server.baseUrl}/api/v1/sync/poke?token=${token}`, { headers: { authorization: `Bearer ${token}` } });
  expect(unknownParam.status).toBe(400);
  expect(await unknownParam.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
});

test('the stream sends keep-alives while nothing changes, ends at the next one once its session is revoked, and ends cleanly when the server closes', async () => {
  const tokens = createTokenService('poke-test-secret-with-more-than-32-characters', 3600);
  const revoked = new RevokedSessions(backend.database.db, 3600, 100);
  const app = createHttpApp();
  await app.register(authGuard, { tokens, revoked });
  const feed = new ChangeFeed(backend.database.db);
  await feed.start();
  app.addHook('preClose', () => feed.close());
  const catalog = await loadTableCatalog(backend.database.db, syncedTables);
  await app.register(pullRoutes, { db: backend.database.db, catalog, feed, tokens, revoked, liveLimit: new LiveRequestLimit(200), poke: { heartbeatMs: 50, throttleMs: 10, maxStreamMs: 60_000 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const { token } = await tokens.sign({ sub: randomUUID(), sid: randomUUID(), role: 'customer', customer_id: randomUUID(), agent_id: null, territory_id: null, warehouse_id: null });
  const listener = await listen(`http://127.0.0.1:${port}/api/v1/sync/poke`, { authorization: `Bearer ${token}` });
  await waitFor(() => listener.received.filter((line) => line.startsWith(': keep-alive')).length >= 2, 'two keep-alives');

  // A session revoked (here by another instance: straight in the table) loses its open stream.
  const revokedUser = randomUUID();
  const [doomed] = (
    await backend.database.db.query<{ family_id: string }>(
      `with u as (insert into auth.users (id, email, password_hash, name, role, customer_id) values ($1, $2, 'x', 'Gone', 'customer', $3) returning id)
       insert into auth.sessions (family_id, user_id, token_hash, expires_at) select gen_random_uuid(), id, $4, now() + interval '1 day' from u returning family_id`,
      [revokedUser, `gone-${revokedUser.slice(0, 8)}@niaga.test`, randomUUID(), randomUUID()],
    )
  ).rows;
  const doomedToken = (await tokens.sign({ sub: revokedUser, sid: doomed!.family_id, role: 'customer', customer_id: randomUUID(), agent_id: null, territory_id: null, warehouse_id: null })).token;
  const doomedListener = await listen(`http://127.0.0.1:${port}/api/v1/sync/poke`, { authorization: `Bearer ${doomedToken}` });
  await waitFor(() => doomedListener.received.length >= 2, 'the doomed stream to start');
  await backend.database.db.query(`update auth.sessions set revoked_at = now(), revoked_reason = 'admin' where family_id = $1`, [doomed!.family_id]);
  await doomedListener.ended;
  expect(listener.received.length).toBeGreaterThan(2); // the other stream goes on

  const closedAt = Date.now();
  await app.close();
  await listener.ended;
  expect(Date.now() - closedAt).toBeLessThan(2_000);
  expect(listener.received[0]).toBe('ready');
});
