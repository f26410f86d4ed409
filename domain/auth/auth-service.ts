import type { Executor } from '@niaga/db';
import type { LoginResponse } from '@niaga/protocol';
import { DomainError } from '../shared/errors.ts';
import { writeEvent } from '../shared/outbox.ts';
import { decoyHash, verifyPassword } from './passwords.ts';
import { findSessionForUpdate, hashToken, insertSession, markRotated, newRefreshToken, revokeFamily } from './session-store.ts';
import type { TokenService } from './tokens.ts';
import { claimsOf, findUserByEmail, findUserByID, publicUser, type UserRow } from './user-store.ts';

export interface AuthServiceOptions {
  db: Executor;
  tokens: TokenService;
  refreshTokenTtlSeconds: number;
}

export interface DeviceInfo {
  deviceName: string | null;
  userAgent: string | null;
}

const invalidCredentials = () => new DomainError('INVALID_CREDENTIALS', 'Email or password is wrong, or the account is disabled');
const invalidRefresh = () => new DomainError('REFRESH_TOKEN_INVALID', 'The refresh token is unknown, expired or revoked; log in again');

export function createAuthService({ db, tokens, refreshTokenTtlSeconds }: AuthServiceOptions) {
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
        const inserted = await insertSession(tx, { userID: user.id, tokenHash: hashToken(refreshToken), ...device, expiresAt });
        await writeEvent(tx, { type: 'user.login', payload: { userID: user.id, sessionFamilyID: inserted.family_id, deviceName: device.deviceName } });
        return inserted;
      });
      return issue(user, session.family_id, refreshToken, expiresAt);
    },

    /**
     * Rotates: the presented token is spent and a new one in the same family is returned. A spent
     * or revoked token presented again means it leaked (or two devices share it): the whole family
     * is revoked, and that revocation is committed before the error is returned.
     */
    async refresh(refreshToken: string): Promise<LoginResponse> {
      const outcome = await db.transaction(async (tx) => {
        const session = await findSessionForUpdate(tx, hashToken(refreshToken));
        if (!session) return { kind: 'invalid' as const };
        if (session.rotated_at !== null || session.revoked_at !== null) {
          await revokeFamily(tx, session.family_id);
          return { kind: 'reused' as const };
        }
        if (session.expires_at.getTime() <= Date.now()) return { kind: 'invalid' as const };
        const user = await findUserByID(tx, session.user_id);
        if (!user || user.disabled) {
          await revokeFamily(tx, session.family_id);
          return { kind: 'invalid' as const };
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
      if (outcome.kind === 'reused') {
        throw new DomainError('REFRESH_TOKEN_REUSED', 'This refresh token was already used; the session has been revoked. Log in again');
      }
      if (outcome.kind === 'invalid') throw invalidRefresh();
      return issue(outcome.user, outcome.familyID, outcome.next, outcome.expiresAt);
    },

    /** Revokes the session family of the given refresh token, or of the caller's access token. */
    async logout(userID: string, sessionFamilyID: string, refreshToken: string | undefined): Promise<void> {
      if (refreshToken === undefined) return revokeFamily(db, sessionFamilyID);
      await db.transaction(async (tx) => {
        const session = await findSessionForUpdate(tx, hashToken(refreshToken));
        if (!session || session.user_id !== userID) throw invalidRefresh();
        await revokeFamily(tx, session.family_id);
      });
    },

    async me(userID: string) {
      const user = await findUserByID(db, userID);
      if (!user || user.disabled) throw new DomainError('UNAUTHENTICATED', 'The account no longer exists or is disabled');
      return publicUser(user);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
