import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { hashPassword } from './passwords.ts';
import { authPlugin } from './plugin.ts';
import { RevokedSessions } from './revoked-sessions.ts';

let database: TestDatabase;
let t: TestApp;
const password = 'correct horse battery';

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp(authPlugin, '/api/v1/auth', (tokens) => ({ db: database.db, tokens, refreshTokenTtlSeconds: 3600, revoked: new RevokedSessions(database.db, 900) }));
  const hash = await hashPassword(password);
  await database.db.query(
    `insert into auth.users (email, password_hash, name, role, warehouse_id) values
       ('picker@niaga.test', $1, 'Pat Picker', 'warehouse', '11111111-1111-4111-8111-111111111111'),
       ('gone@niaga.test', $1, 'Gone', 'admin', null)`,
    [hash],
  );
  await database.db.query(`update auth.users set disabled = true where email = 'gone@niaga.test'`);
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

interface Tokens {
  accessToken: string;
  refreshToken: string;
  user: { email: string; role: string; warehouseId: string | null };
}

const login = (email: string, pass: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: pass, deviceName: 'Zebra TC52' } });
const refresh = (refreshToken: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
const bearer = (tokens: Tokens) => ({ authorization: `Bearer ${tokens.accessToken}` });

describe('login', () => {
  test('a user logs in and gets a token pair whose access token carries the role and scope claims', async () => {
    const response = await login('Picker@Niaga.test', password);
    expect(response.statusCode).toBe(200);
    const body = response.json<Tokens>();
    expect(body.user).toMatchObject({ email: 'picker@niaga.test', role: 'warehouse', warehouseId: '11111111-1111-4111-8111-111111111111' });
    const claims = await t.tokens.verify(body.accessToken);
    expect(claims).toMatchObject({ role: 'warehouse', warehouse_id: '11111111-1111-4111-8111-111111111111', agent_id: null });
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(body) });
    expect(me.json()).toMatchObject({ email: 'picker@niaga.test' });
    const { rows } = await database.db.query<{ device_name: string; token_hash: string }>('select device_name, token_hash from auth.sessions');
    expect(rows.some((row) => row.device_name === 'Zebra TC52')).toBe(true);
    expect(rows.every((row) => row.token_hash !== body.refreshToken)).toBe(true);
  });

  test('a wrong password, an unknown email and a disabled account all get the same 401', async () => {
    for (const [email, pass] of [['picker@niaga.test', 'wrong'], ['nobody@niaga.test', password], ['gone@niaga.test', password]] as const) {
      const response = await login(email, pass);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Email or password is wrong, or the account is disabled' });
    }
  });

  test('a malformed login body is a 400 listing the problems', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'not-an-email', extra: 1 } });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ code: string; details: unknown[] }>()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(response.json<{ details: unknown[] }>().details.length).toBeGreaterThanOrEqual(2);
  });
});

describe('refresh', () => {
  test('refresh rotates: the new pair works and the old refresh token is spent', async () => {
    const first = (await login('picker@niaga.test', password)).json<Tokens>();
    const rotated = await refresh(first.refreshToken);
    expect(rotated.statusCode).toBe(200);
    const second = rotated.json<Tokens>();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(second) })).statusCode).toBe(200);
    const third = await refresh(second.refreshToken);
    expect(third.statusCode).toBe(200);
  });

  test('reusing a spent refresh token once its successor was used revokes the whole session family', async () => {
    const first = (await login('picker@niaga.test', password)).json<Tokens>();
    const second = (await refresh(first.refreshToken)).json<Tokens>();
    const third = (await refresh(second.refreshToken)).json<Tokens>();
    const reuse = await refresh(first.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    // The legitimate holder's newer token is now dead too.
    const afterRevocation = await refresh(third.refreshToken);
    expect(afterRevocation.statusCode).toBe(401);
    // Other sessions of the same user are untouched.
    const other = (await login('picker@niaga.test', password)).json<Tokens>();
    expect((await refresh(other.refreshToken)).statusCode).toBe(200);
  });

  test('a refresh retried soon after its answer was lost gets a new pair; the lost refresh token is dropped and the session lives on', async () => {
    const first = (await login('picker@niaga.test', password)).json<Tokens>();
    const lost = (await refresh(first.refreshToken)).json<Tokens>();
    const retried = await refresh(first.refreshToken);
    expect(retried.statusCode).toBe(200);
    const again = await refresh(first.refreshToken); // lost twice
    expect(again.statusCode).toBe(200);
    const kept = again.json<Tokens>();
    expect(await refresh(lost.refreshToken).then((response) => response.json<unknown>())).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    expect(await refresh(retried.json<Tokens>().refreshToken).then((response) => response.json<unknown>())).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(kept) })).statusCode).toBe(200);
    const next = await refresh(kept.refreshToken);
    expect(next.statusCode).toBe(200);
    // Once the successor is used, or after the grace window, a reuse is a theft again.
    expect((await refresh(first.refreshToken)).json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    expect((await refresh(next.json<Tokens>().refreshToken)).statusCode).toBe(401);

    const late = (await login('picker@niaga.test', password)).json<Tokens>();
    await refresh(late.refreshToken);
    await database.db.query(`update auth.sessions set rotated_at = rotated_at - interval '31 seconds' where token_hash = encode(sha256($1::bytea), 'hex')`, [late.refreshToken]);
    expect((await refresh(late.refreshToken)).json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
  });

  test('two refreshes racing with one token both answer (the second as a retry); only the later pair lives on', async () => {
    const first = (await login('picker@niaga.test', password)).json<Tokens>();
    const results = await Promise.all([refresh(first.refreshToken), refresh(first.refreshToken)]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
    const followUps = await Promise.all(results.map((r) => refresh(r.json<Tokens>().refreshToken)));
    expect(followUps.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  test('with no grace window, reusing a spent refresh token at once revokes the family, and racing refreshes leave one winner and no session', async () => {
    const strict = await buildTestApp(authPlugin, '/api/v1/auth', (tokens) => ({ db: database.db, tokens, refreshTokenTtlSeconds: 3600, refreshReuseGraceSeconds: 0 }));
    try {
      const strictRefresh = (refreshToken: string) => strict.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
      const first = (await login('picker@niaga.test', password)).json<Tokens>();
      const second = (await strictRefresh(first.refreshToken)).json<Tokens>();
      expect((await strictRefresh(first.refreshToken)).json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      expect((await strictRefresh(second.refreshToken)).statusCode).toBe(401);

      const raced = (await login('picker@niaga.test', password)).json<Tokens>();
      const results = await Promise.all([strictRefresh(raced.refreshToken), strictRefresh(raced.refreshToken)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
      const winner = results.find((r) => r.statusCode === 200)!.json<Tokens>();
      expect((await strictRefresh(winner.refreshToken)).statusCode).toBe(401);
    } finally {
      await strict.app.close();
    }
  });

  test('an unknown refresh token is a 401 and an expired one too', async () => {
    const unknown = await refresh('definitely-not-issued');
    expect(unknown.json()).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    const tokens = (await login('picker@niaga.test', password)).json<Tokens>();
    await database.db.query(`update auth.sessions set expires_at = now() - interval '1 second' where rotated_at is null and revoked_at is null`);
    const expired = await refresh(tokens.refreshToken);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
  });
});

describe('logout and access tokens', () => {
  test('logout revokes the session: its refresh token no longer works', async () => {
    const tokens = (await login('picker@niaga.test', password)).json<Tokens>();
    // No body at all: the session of the access token.
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(tokens) });
    expect(out.statusCode).toBe(204);
    expect((await refresh(tokens.refreshToken)).statusCode).toBe(401);
  });

  test('logout with an explicit refresh token of another user is refused', async () => {
    const mine = (await login('picker@niaga.test', password)).json<Tokens>();
    const theirs = await t.as('admin');
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: theirs, payload: { refreshToken: mine.refreshToken } });
    expect(response.statusCode).toBe(401);
    expect((await refresh(mine.refreshToken)).statusCode).toBe(200);
  });

  test('logout needs an access token', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: {} })).statusCode).toBe(401);
  });

  test('an expired access token is a 401 TOKEN_EXPIRED telling the client to refresh', async () => {
    const shortLived = await buildTestApp(authPlugin, '/api/v1/auth', (tokens) => ({ db: database.db, tokens, refreshTokenTtlSeconds: 3600 }), 1);
    try {
      const tokens = (
        await shortLived.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'picker@niaga.test', password } })
      ).json<Tokens>();
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const response = await shortLived.app.inject({ url: '/api/v1/auth/me', headers: bearer(tokens) });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'TOKEN_EXPIRED' });
    } finally {
      await shortLived.app.close();
    }
  });
});

describe('user administration', () => {
  test('an admin creates a user who can then log in; the hash is never returned', async () => {
    const admin = await t.as('admin');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/users',
      headers: admin,
      payload: { email: 'New.Agent@niaga.test', role: 'agent', password: 'a-long-password', agentId: '22222222-2222-4222-8222-222222222222', territoryId: '33333333-3333-4333-8333-333333333333' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ email: 'new.agent@niaga.test', role: 'agent', disabled: false });
    expect(created.body).not.toContain('password');
    expect((await login('new.agent@niaga.test', 'a-long-password')).statusCode).toBe(200);
  });

  test('a user missing the scope their role needs is a 400', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/users',
      headers: await t.as('admin'),
      payload: { email: 'lost@niaga.test', role: 'warehouse', password: 'a-long-password' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: { constraint: 'users_warehouse_scope' } });
  });

  test('disabling a user ends their sessions', async () => {
    const tokens = (await login('picker@niaga.test', password)).json<Tokens>();
    const { rows } = await database.db.query<{ id: string }>(`select id from auth.users where email = 'picker@niaga.test'`);
    const admin = await t.as('admin');
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/auth/users/${rows[0]!.id}`, headers: admin, payload: { disabled: true } });
    expect(patched.statusCode).toBe(200);
    // The device is told to delete what it synced, not just to log in again, from the moment the
    // admin has the answer.
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(tokens) })).json()).toMatchObject({ code: 'DEVICE_REVOKED' });
    expect((await refresh(tokens.refreshToken)).json()).toMatchObject({ code: 'DEVICE_REVOKED' });
    expect((await login('picker@niaga.test', password)).statusCode).toBe(401);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/auth/users/${rows[0]!.id}`, headers: admin, payload: { disabled: false } });
  });

  test("a new password ends the user's sessions at once (log in again; devices keep their data)", async () => {
    const tokens = (await login('picker@niaga.test', password)).json<Tokens>();
    const { rows } = await database.db.query<{ id: string }>(`select id from auth.users where email = 'picker@niaga.test'`);
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/auth/users/${rows[0]!.id}`, headers: await t.as('admin'), payload: { password } });
    expect(patched.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(tokens) })).json()).toMatchObject({ code: 'SESSION_REVOKED' });
    expect((await refresh(tokens.refreshToken)).json()).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    expect((await login('picker@niaga.test', password)).statusCode).toBe(200);
  });

  test('only admins manage users', async () => {
    for (const role of ['agent', 'warehouse', 'customer'] as const) {
      const headers = await t.as(role);
      expect((await t.app.inject({ url: '/api/v1/auth/users', headers })).statusCode).toBe(403);
      const create = await t.app.inject({ method: 'POST', url: '/api/v1/auth/users', headers, payload: { email: 'x@niaga.test', role: 'admin', password: 'a-long-password' } });
      expect(create.statusCode).toBe(403);
    }
  });
});

describe('devices: revoking a session', () => {
  const me = (tokens: Tokens) => t.app.inject({ url: '/api/v1/auth/me', headers: bearer(tokens) });
  const userID = async (email: string) => (await database.db.query<{ id: string }>('select id from auth.users where email = $1', [email])).rows[0]!.id;
  const sessionsOf = async (id: string) => t.app.inject({ url: `/api/v1/auth/sessions?userId=${id}`, headers: await t.as('admin') });

  test("an admin lists a user's devices and revokes one: that device gets DEVICE_REVOKED at once, the other works on", async () => {
    await database.db.query(`update auth.sessions set revoked_at = now(), revoked_reason = 'logout' where revoked_at is null`);
    const phone = (await login('picker@niaga.test', password)).json<Tokens>();
    const scanner = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'picker@niaga.test', password, deviceName: 'Scanner 7' } })).json<Tokens>();
    const listed = await sessionsOf(await userID('picker@niaga.test'));
    expect(listed.statusCode, listed.body).toBe(200);
    const live = listed.json<{ id: string; deviceName: string | null; revokedAt: string | null }[]>().filter((session) => session.revokedAt === null);
    expect(live.map((session) => session.deviceName)).toEqual(['Scanner 7', 'Zebra TC52']);

    const revoke = await t.app.inject({ method: 'POST', url: `/api/v1/auth/sessions/${live[1]!.id}/revoke`, headers: await t.as('admin') });
    expect(revoke.statusCode, revoke.body).toBe(204);
    const refused = await me(phone);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'DEVICE_REVOKED' });
    expect((await refresh(phone.refreshToken)).json()).toMatchObject({ code: 'DEVICE_REVOKED' });
    expect((await me(scanner)).statusCode).toBe(200);
    expect((await refresh(scanner.refreshToken)).statusCode).toBe(200);
    const after = (await sessionsOf(await userID('picker@niaga.test'))).json<{ id: string; revokedReason: string | null }[]>();
    expect(after.find((session) => session.id === live[1]!.id)).toMatchObject({ revokedReason: 'admin' });
  });

  test('a revocation racing a refresh of the same device still ends every token of it', async () => {
    const admin = await t.as('admin');
    for (let round = 0; round < 10; round++) {
      const tokens = (await login('picker@niaga.test', password)).json<Tokens>();
      const { sid } = await t.tokens.verify(tokens.accessToken);
      const [rotated, revoke] = await Promise.all([refresh(tokens.refreshToken), t.app.inject({ method: 'POST', url: `/api/v1/auth/sessions/${sid}/revoke`, headers: admin })]);
      expect(revoke.statusCode).toBe(204);
      // Whichever went first, no token of this device works afterwards.
      if (rotated.statusCode === 200) expect((await refresh(rotated.json<Tokens>().refreshToken)).json()).toMatchObject({ code: 'DEVICE_REVOKED' });
      else expect(rotated.json()).toMatchObject({ code: 'DEVICE_REVOKED' });
    }
  });

  test('a device whose session ended for a milder reason (new password) and is then revoked hears DEVICE_REVOKED', async () => {
    const tokens = (await login('picker@niaga.test', password)).json<Tokens>();
    const { sid, sub } = await t.tokens.verify(tokens.accessToken);
    const admin = await t.as('admin');
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/auth/users/${sub}`, headers: admin, payload: { password } })).statusCode).toBe(200);
    expect((await me(tokens)).json()).toMatchObject({ code: 'SESSION_REVOKED' });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/auth/sessions/${sid}/revoke`, headers: admin })).statusCode).toBe(204);
    expect((await me(tokens)).json()).toMatchObject({ code: 'DEVICE_REVOKED' });
    expect((await refresh(tokens.refreshToken)).json()).toMatchObject({ code: 'DEVICE_REVOKED' });
  });

  test('after a logout the access token is refused too, as SESSION_REVOKED (log in again; keep the data)', async () => {
    const tokens = (await login('picker@niaga.test', password)).json<Tokens>();
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(tokens), payload: {} })).statusCode).toBe(204);
    expect((await me(tokens)).json()).toMatchObject({ code: 'SESSION_REVOKED' });
    expect((await refresh(tokens.refreshToken)).json()).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
  });

  test('a revocation made elsewhere (another instance) is seen within the refresh interval', async () => {
    const tokens = (await login('picker@niaga.test', password)).json<Tokens>();
    const { sid } = await t.tokens.verify(tokens.accessToken);
    await database.db.query(`update auth.sessions set revoked_at = now(), revoked_reason = 'admin' where family_id = $1`, [sid]);
    const started = Date.now();
    let response = await me(tokens);
    while (response.statusCode === 200 && Date.now() - started < 6000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await me(tokens);
    }
    expect(response.json()).toMatchObject({ code: 'DEVICE_REVOKED' });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  test('bad input: only admins, a valid user id, a known session', async () => {
    const id = await userID('picker@niaga.test');
    for (const role of ['agent', 'warehouse', 'customer'] as const) {
      const headers = await t.as(role);
      expect((await t.app.inject({ url: `/api/v1/auth/sessions?userId=${id}`, headers })).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'POST', url: `/api/v1/auth/sessions/${id}/revoke`, headers })).statusCode).toBe(403);
    }
    const admin = await t.as('admin');
    const missing = await t.app.inject({ url: '/api/v1/auth/sessions', headers: admin });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await t.app.inject({ url: '/api/v1/auth/sessions?userId=nope', headers: admin })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/sessions/nope/revoke', headers: admin })).statusCode).toBe(400);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sessions/00000000-0000-4000-8000-000000000000/revoke', headers: admin });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/auth/sessions/${id}/revoke` })).statusCode).toBe(401);
  });
});
