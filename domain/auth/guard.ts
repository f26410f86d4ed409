import type { AccessClaims } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../shared/errors.ts';
import '../shared/user.ts';
import type { RevokedSessions } from './revoked-sessions.ts';
import { deviceRevokingReasons, type RevocationReason } from './session-store.ts';
import type { TokenService } from './tokens.ts';

export interface AuthGuardOptions {
  readonly tokens: TokenService;
  /** Refuses the access tokens of revoked sessions before they expire (started and stopped with the app). */
  readonly revoked?: RevokedSessions;
}

/**
 * Reads `Authorization: Bearer <token>` on every request. A missing header leaves request.user null
 * (routes decide whether that is allowed); a bad or expired token, or one of a revoked session, is a
 * 401 at once.
 */
export const authGuard = fp<AuthGuardOptions>(
  async (app: FastifyInstance, { tokens, revoked }) => {
    if (revoked) {
      await revoked.start();
      app.addHook('onClose', () => revoked.stop());
    }
    app.decorateRequest('user', null);
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (header === undefined || header === '') return;
      const match = /^Bearer (\S+)$/i.exec(header);
      if (!match) throw new DomainError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <accessToken>"');
      request.user = await verifyAccessToken({ tokens, ...(revoked ? { revoked } : {}) }, match[1]!);
    });
  },
  { name: 'niaga-auth-guard' },
);

/** The token's claims if it is valid, unexpired and its session not revoked; else a 401 DomainError. */
export async function verifyAccessToken({ tokens, revoked }: AuthGuardOptions, token: string): Promise<AccessClaims> {
  const claims = await tokens.verify(token);
  const reason = revoked?.reasonFor(claims.sid);
  if (reason !== undefined) throw revokedSessionError(reason);
  return claims;
}

export function revokedSessionError(reason: RevocationReason): DomainError {
  return deviceRevokingReasons.has(reason)
    ? new DomainError('DEVICE_REVOKED', 'This device’s access was revoked (or the account disabled): delete its synced data and log in again')
    : new DomainError('SESSION_REVOKED', 'This session was ended (logged out or the password changed): log in again');
}
