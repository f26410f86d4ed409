/** The device's login shared by the tabs of one browser (one store): refreshes against the real server. */
import { randomUUID } from 'node:crypto';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, hashPassword, startShapeServer, type ShapeServer } from '@niaga/sync-server/test-support';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { LocalStore } from './local-store.ts';
import { emptyDatabase, openPgliteStore } from './pglite/index.ts';
import { Session, SessionExpiredError, type SessionTokens } from './session.ts';

let db: PgliteExecutor;
let server: ShapeServer;
let store: LocalStore;

beforeAll(async () => {
  db = await capturedPglite();
  server = await startShapeServer(db);
  store = await openPgliteStore({ template: await emptyDatabase() });
}, 60_000);
afterAll(async () => {
  await store?.close();
  await server?.close();
  await db?.close();
});

async function login(): Promise<SessionTokens> {
  const email = `picker-${randomUUID()}@example.com`;
  await db.query(`insert into auth.users (email, password_hash, role, warehouse_id) values ($1, $2, 'warehouse', $3)`, [email, await hashPassword('correct horse'), randomUUID()]);
  const response = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse' }) });
  return (await response.json()) as SessionTokens;
}

const open = (given?: SessionTokens) => Session.load({ serverURL: server.baseUrl, store, fetch }, given);

test('a tab that loaded the login long ago refreshes with what the other tab rotated since, not with its spent token (which would revoke the device)', async () => {
  const first = await open(await login());
  const second = await open(); // another tab: the same store, loaded now
  await first.refresh();
  await first.refresh(); // the token the second tab loaded is now two rotations old
  await second.refresh(); // e.g. it became the leader and its access token had expired
  expect(second.authorization()).toBe(first.authorization());
  await second.refresh(); // a real rotation, from the current token
  expect(second.loggedIn).toBe(true);
  await first.refresh(); // and the first tab follows it in turn
  expect(first.authorization()).toBe(second.authorization());
  const me = await fetch(`${server.baseUrl}/api/v1/auth/me`, { headers: { authorization: first.authorization() } });
  expect(me.status).toBe(200);
});

test('a refresh the network leaves unanswered is given up after the timeout as a network failure, and lets the next ones through, in this tab and the others', async () => {
  const own = await openPgliteStore({ template: await emptyDatabase() });
  try {
    let hang = true;
    let aborted = false;
    let rotated = 0;
    const flaky: typeof fetch = (input, init) => {
      if (typeof input !== 'string' || !input.endsWith('/api/v1/auth/refresh')) return fetch(input, init);
      if (!hang) return (rotated++, fetch(input, init));
      // No answer and no error, until the request is aborted.
      return new Promise((_, reject) =>
        init?.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(init.signal?.reason as Error);
        }),
      );
    };
    const first = await Session.load({ serverURL: server.baseUrl, store: own, fetch: flaky, refreshTimeoutMs: 200 }, await login());
    const second = await Session.load({ serverURL: server.baseUrl, store: own, fetch }); // another tab: it waits for the first one's turn
    const started = Date.now();
    const hanging = first.refresh().catch((error: unknown) => error);
    const waiting = second.refresh();
    const error = await hanging;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(TypeError); // as fetch's own network failure: callers retry, the session goes on
    expect(error).not.toBeInstanceOf(SessionExpiredError);
    expect(aborted).toBe(true);
    expect(first.loggedIn).toBe(true);
    await waiting; // the lock was let go: the other tab refreshed
    hang = false;
    await first.refresh(); // takes the other tab's pair from the store
    expect(first.authorization()).toBe(second.authorization());
    expect(rotated).toBe(0);
    await first.refresh(); // and rotates it itself: the failed refresh is no longer the one callers share
    expect(rotated).toBe(1);
    expect((await fetch(`${server.baseUrl}/api/v1/auth/me`, { headers: { authorization: first.authorization() } })).status).toBe(200);
  } finally {
    await own.close();
  }
});

test('a tab whose session another tab ended learns it from the store without asking the server', async () => {
  const own = await openPgliteStore({ template: await emptyDatabase() });
  try {
    let asked = 0;
    const counting: typeof fetch = (input, init) => (asked++, fetch(input, init));
    const first = await Session.load({ serverURL: server.baseUrl, store: own, fetch }, await login());
    const second = await Session.load({ serverURL: server.baseUrl, store: own, fetch: counting });
    await first.end(); // e.g. its refresh was refused
    await expect(second.refresh()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(second.loggedIn).toBe(false);
    expect(asked).toBe(0);
  } finally {
    await own.close();
  }
});

test('a refresh whose new pair the store could not save (disk full) is followed by one with that pair, not with the spent pair still in the store (which would revoke the device)', async () => {
  const strict = await startShapeServer(db, { REFRESH_REUSE_GRACE_SECONDS: '0' });
  const own = await openPgliteStore({ template: await emptyDatabase() });
  let failWrites = false;
  const failing: LocalStore = Object.assign(Object.create(own) as LocalStore, {
    // Reads work; a write of the session fails while the disk is full.
    transaction: ((work: Parameters<LocalStore['transaction']>[0]) =>
      own.transaction((tx) =>
        work(
          Object.assign(Object.create(tx) as typeof tx, {
            setMeta: (...args: Parameters<typeof tx.setMeta>) => (failWrites ? Promise.reject(new Error('QuotaExceededError: the disk is full')) : tx.setMeta(...args)),
          }),
        ),
      )) as LocalStore['transaction'],
  });
  try {
    const email = `picker-${randomUUID()}@example.com`;
    await db.query(`insert into auth.users (email, password_hash, role, warehouse_id) values ($1, $2, 'warehouse', $3)`, [email, await hashPassword('correct horse'), randomUUID()]);
    const tokens = (await (
      await fetch(`${strict.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse' }) })
    ).json()) as SessionTokens;
    const session = await Session.load({ serverURL: strict.baseUrl, store: failing, fetch }, tokens);
    failWrites = true;
    await session.refresh().catch(() => undefined); // rotated on the server; the save failed, the new pair is used all the same
    failWrites = false;
    await session.refresh(); // e.g. its access token expired
    await session.refresh();
    expect(session.loggedIn).toBe(true);
    expect((await fetch(`${strict.baseUrl}/api/v1/auth/me`, { headers: { authorization: session.authorization() } })).status).toBe(200);
  } finally {
    await own.close();
    await strict.close();
  }
});
