import { AuthUser, CreateUserBody, DeviceSession, DeviceSessionQuery, ErrorBody, IdParams, LoginRequest, LoginResponse, LogoutRequest, PatchUserBody, RefreshRequest, UserEntity } from '@niaga/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { forbidden } from '../shared/errors.ts';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';
import { writeEvent } from '../shared/outbox.ts';
import { registerResource, type Values } from '../shared/resource.ts';
import { requireUser } from '../shared/user.ts';
import { createAuthService } from './auth-service.ts';
import { hashPassword } from './passwords.ts';
import type { RevokedSessions } from './revoked-sessions.ts';
import { listDeviceSessions, revokeUserSessions, type DeviceSessionRow } from './session-store.ts';
import type { TokenService } from './tokens.ts';

export interface AuthPluginOptions extends DomainPluginOptions {
  tokens: TokenService;
  refreshTokenTtlSeconds: number;
  /** The guard's list of revoked sessions, told of each revocation made here. */
  revoked?: RevokedSessions;
  /** See AuthServiceOptions.refreshReuseGraceSeconds. */
  refreshReuseGraceSeconds?: number;
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

const deviceSession = (row: DeviceSessionRow): DeviceSession => ({
  id: row.id,
  userId: row.user_id,
  deviceName: row.device_name,
  userAgent: row.user_agent,
  signedInAt: row.signed_in_at.toISOString(),
  lastRefreshedAt: row.last_refreshed_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
  revokedReason: row.revoked_reason,
});

function requireAdmin(request: Parameters<typeof requireUser>[0]) {
  const user = requireUser(request);
  if (user.role !== 'admin') throw forbidden('Only admins manage devices');
  return user;
}

async function withPasswordHashed(values: Values): Promise<Values> {
  const { password, ...rest } = values;
  if (typeof rest.email === 'string') rest.email = rest.email.trim().toLowerCase();
  return typeof password === 'string' ? { ...rest, password_hash: await hashPassword(password) } : rest;
}

export const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, { db, tokens, refreshTokenTtlSeconds, revoked, refreshReuseGraceSeconds }) => {
  const auth = createAuthService({ db, tokens, refreshTokenTtlSeconds, ...(revoked ? { revoked } : {}), ...(refreshReuseGraceSeconds === undefined ? {} : { refreshReuseGraceSeconds }) });
  const tags = ['auth'];

  app.post('/login', {
    schema: { tags, summary: 'Log in with email and password', body: LoginRequest, response: { 200: LoginResponse, ...errors } },
    handler: async (request) => {
      const body = request.body as LoginRequest;
      return auth.login(body.email, body.password, {
        deviceName: body.deviceName ?? null,
        userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
      });
    },
  });

  app.post('/refresh', {
    schema: { tags, summary: 'Rotate a refresh token for a new token pair', body: RefreshRequest, response: { 200: LoginResponse, ...errors } },
    handler: async (request) => auth.refresh((request.body as RefreshRequest).refreshToken),
  });

  app.post('/logout', {
    schema: {
      tags,
      summary: 'Revoke the session (of the given refresh token, or of the access token)',
      security: [{ bearerAuth: [] }],
      body: Type.Optional(LogoutRequest),
      response: { 204: Type.Null(), ...errors },
    },
    // A POST with no body at all is a logout of this session, not a 400.
    preValidation: async (request) => {
      request.body ??= {};
    },
    handler: async (request, reply) => {
      const user = requireUser(request);
      await auth.logout(user.sub, user.sid, (request.body as LogoutRequest | undefined)?.refreshToken);
      return reply.code(204).send();
    },
  });

  app.get('/me', {
    schema: { tags, summary: 'The signed-in user', security: [{ bearerAuth: [] }], response: { 200: AuthUser, ...errors } },
    handler: async (request) => auth.me(requireUser(request).sub),
  });

  app.get('/sessions', {
    schema: {
      tags,
      summary: "A user's devices: one session per login, newest first (admin)",
      security: [{ bearerAuth: [] }],
      querystring: DeviceSessionQuery,
      response: { 200: Type.Array(DeviceSession), ...errors },
    },
    handler: async (request) => {
      requireAdmin(request);
      return (await listDeviceSessions(db, (request.query as DeviceSessionQuery).userId)).map(deviceSession);
    },
  });

  app.post('/sessions/:id/revoke', {
    schema: {
      tags,
      summary: 'Revoke a device (admin): it gets no more data and deletes what it synced',
      security: [{ bearerAuth: [] }],
      params: IdParams,
      response: { 204: Type.Null(), 404: ErrorBody, ...errors },
    },
    handler: async (request, reply) => {
      requireAdmin(request);
      await auth.revokeDevice((request.params as IdParams).id);
      return reply.code(204).send();
    },
  });

  // A user patch may have revoked their sessions (below): the guard hears of it before the answer
  // leaves, so the old tokens are refused from the moment the admin sees the change done.
  if (revoked) {
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.method === 'PATCH' && reply.statusCode === 200 && request.routeOptions.url?.endsWith('/users/:id')) await revoked.refresh();
      return payload;
    });
  }

  registerResource(app, db, '/users', {
    name: 'user',
    table: 'auth.users',
    tag: 'auth',
    entity: UserEntity,
    createBody: CreateUserBody,
    patchBody: PatchUserBody,
    filters: {
      role: { kind: 'eq', column: 'role', schema: Type.String({ enum: ['admin', 'agent', 'warehouse', 'customer'] }) },
      q: { kind: 'search', columns: ['email', 'name'] },
    },
    sortColumn: 'email',
    access: {
      read: (user) => (user.role === 'admin' ? {} : 'deny'),
      create: (user, values) => {
        if (user.role !== 'admin') throw forbidden('Only admins may create users');
        return withPasswordHashed(values);
      },
    },
    hooks: {
      afterCreate: async (tx, user) => {
        await writeEvent(tx, { type: 'user.registered', payload: { userID: user.id, role: user.role } });
      },
      beforeUpdate: async (tx, before, patch) => {
        // Disabling a user revokes their devices; a new password ends their sessions.
        if (patch.disabled === true) await revokeUserSessions(tx, String(before.id), 'disabled');
        else if (patch.password !== undefined) await revokeUserSessions(tx, String(before.id), 'password');
        return withPasswordHashed(patch);
      },
    },
  });
};
