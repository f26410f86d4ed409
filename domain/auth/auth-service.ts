import type { Executor } from '@niaga/db';
import type { LoginResponse } from '@niaga/protocol';
import { DomainError } from '../shared/errors.ts';
import { writeEvent } from '../shared/outbox.ts';
import { decoyHash, verifyPassword } from './passwords.ts';
import { revokedSessionError } from './guard.ts';
import type { RevokedSessions } from './revoked-sessions.ts';
import {
  deviceRevokingReasons,
  dropUnusedSuccessor,
  findSessionForUpdate,
  hashToken,
  insertSession,
  markRotated,
  newRefreshToken,
  revokeFamily,
  type RevocationReason,
} from './session-store.ts';
import type { TokenService } from './tokens.ts';
import { claimsOf, findUserByEmail, findUserByID, lockUser, lockUserOfToken, publicUser, type UserRow } from './user-store.ts';

export interface AuthServiceOptions {
  db: Executor;
  tokens: TokenService;
  refreshTokenTtlSeconds: number;
  /** Told of each revocation this service commits, so the guard refuses its access tokens at once. */
  revoked?: RevokedSessions;
  /**
   * A spent refresh token presented again this soon after its rotation, while the token that
   * rotation made is still unused, is taken as a retry whose answer was lost (a dropped mobile
   * connection), not as a theft: 0 treats every reuse as a theft. Default 30.
   */
  refreshReuseGraceSeconds?: number;
}

export interface DeviceInfo {
  deviceName: string | null;
  userAgent: string | null;
}

const invalidCredentials = () => new DomainError('INVALID_CREDENTIALS', 'Email or password is wrong, or the account is disabled');
const invalidRefresh = () => new DomainError('REFRESH_TOKEN_INVALID', 'The refresh token is unknown, expired or revoked; log in again');

export function createAuthService({ db, tokens, refreshTokenTtlSeconds, revoked, refreshReuseGraceSeconds = 30 }: AuthServiceOptions) {
  async function issue(user: UserRow, familyID: string, refreshToken: string, refreshExpiresAt: Date): Promise<LoginResponse> {
    const access = await tokens.sign(claimsOf(user, familyID));
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      refreshToken,
      refreshTokenExpiresAt: refreshExpiresAt.toISOString(),
      user: publicUser(user),
    };
  }

  const refreshExpiry = () => new Date(Date.now() + refreshTokenTtlSeconds * 1000);

  return {
    async login(email: string, password: string, device: DeviceInfo): Promise<LoginResponse> {
      const user = await findUserByEmail(db, email);
      // Verify against a decoy when the email is unknown, so response time does not tell.
      const valid = await verifyPassword(user?.password_hash ?? (await decoyHash()), password);
      if (!user || !valid || user.disabled) throw invalidCredentials();
      const refreshToken = newRefreshToken();
      const expiresAt = refreshExpiry();
      const session = await db.transaction(async (tx) => {
        // Under the user's lock (see lockUser): an account disabled meanwhile gets no new session.
        if ((await lockUser(tx, user.id))?.disabled !== false) throw invalidCredentials();
        const inserted = await insertSession(tx, { userID: user.id, tokenHash: hashToken(refreshToken), ...device, expiresAt });
        await writeEvent(tx, { type: 'user.login', payload: { userID: user.id, sessionFamilyID: inserted.family_id, deviceName: device.deviceName } });
        return inserted;
      });
      return issue(user, session.family_id, refreshToken, expiresAt);
    },

    /**
     * Rotates: the presented token is spent and a new one in the same family is returned. A spent
     * token presented again means it leaked (or two devices share it): the whole family is revoked,
     * and that revocation is committed before the error is returned. A device an admin revoked (or
     * whose account was disabled) is told so, to delete what it synced.
     */
    async refresh(refreshToken: string): Promise<LoginResponse> {
      const outcome = await db.transaction(async (tx) => {
        // The owner's lock first (see lockUser), then the token's row.
        const tokenHash = hashToken(refreshToken);
        const user = await lockUserOfToken(tx, tokenHash);
        const session = user && (await findSessionForUpdate(tx, tokenHash));
        if (!user || !session) return { kind: 'invalid' as const };
        if (session.revoked_reason !== null && deviceRevokingReasons.has(session.revoked_reason)) return { kind: 'revoked' as const, reason: session.revoked_reason };
        if (session.rotated_at !== null) {
          // A retry of a rotation whose answer was lost: the token it made, never used, is dropped
          // (presenting it later is REFRESH_TOKEN_INVALID) and the rotation is made again.
          const retry = refreshReuseGraceSeconds > 0 && (await dropUnusedSuccessor(tx, session.id, refreshReuseGraceSeconds));
          if (!retry) {
            await revokeFamily(tx, session.family_id, 'reuse');
            return { kind: 'reused' as const };
          }
        }
        if (session.revoked_at !== null) return { kind: 'invalid' as const };
        if (session.expires_at.getTime() <= Date.now()) return { kind: 'invalid' as const };
        if (user.disabled) {
          await revokeFamily(tx, session.family_id, 'disabled');
          return { kind: 'revoked' as const, reason: 'disabled' as RevocationReason };
        }
        await markRotated(tx, session.id);
        const next = newRefreshToken();
        const expiresAt = refreshExpiry();
        await insertSession(tx, {
          familyID: session.family_id,
          userID: user.id,
          tokenHash: hashToken(next),
          deviceName: session.device_name,
          userAgent: session.user_agent,
          expiresAt,
        });
        return { kind: 'rotated' as const, user, familyID: session.family_id, next, expiresAt };
      });
      if (outcome.kind === 'revoked') {
        await revoked?.refresh();
        throw revokedSessionError(outcome.reason);
      }
      if (outcome.kind === 'reused') {
        await revoked?.refresh();
        throw new DomainError('REFRESH_TOKEN_REUSED', 'This refresh token was already used; the session has been revoked. Log in again');
      }
      if (outcome.kind === 'invalid') throw invalidRefresh();
      return issue(outcome.user, outcome.familyID, outcome.next, outcome.expiresAt);
    },

    /** Revokes the session family of the given refresh token, or of the caller's access token. */
    async logout(userID: string, sessionFamilyID: string, refreshToken: string | undefined): Promise<void> {
      await db.transaction(async (tx) => {
        if (refreshToken === undefined) return revokeFamily(tx, sessionFamilyID, 'logout');
        const owner = await lockUserOfToken(tx, hashToken(refreshToken));
        if (owner?.id !== userID) throw invalidRefresh();
        const session = await findSessionForUpdate(tx, hashToken(refreshToken));
        return revokeFamily(tx, session!.family_id, 'logout');
      });
      await revoked?.refresh();
    },

    /** An admin revokes a device's session: the device is told to delete what it synced. */
    async revokeDevice(sessionFamilyID: string): Promise<void> {
      if (!(await db.transaction((tx) => revokeFamily(tx, sessionFamilyID, 'admin')))) throw new DomainError('NOT_FOUND', 'No session with this id');
      await revoked?.refresh();
    },

    async me(userID: string) {
      const user = await findUserByID(db, userID);
      if (!user || user.disabled) throw new DomainError('UNAUTHENTICATED', 'The account no longer exists or is disabled');
      return publicUser(user);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
