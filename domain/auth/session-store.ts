import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '@niaga/db';

export interface SessionRow {
  id: string;
  family_id: string;
  user_id: string;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

/** Refresh tokens are random and stored only as a SHA-256 hash. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
export const newRefreshToken = (): string => randomBytes(32).toString('base64url');

export async function insertSession(
  db: Queryable,
  session: { familyID?: string; userID: string; tokenHash: string; deviceName: string | null; userAgent: string | null; expiresAt: Date },
): Promise<{ id: string; family_id: string }> {
  const { rows } = await db.query<{ id: string; family_id: string }>(
    `insert into auth.sessions (family_id, user_id, token_hash, device_name, user_agent, expires_at)
     values ($1, $2, $3, $4, $5, $6) returning id, family_id`,
    [session.familyID ?? randomUUID(), session.userID, session.tokenHash, session.deviceName, session.userAgent, session.expiresAt],
  );
  return rows[0]!;
}

export async function findSessionForUpdate(db: Queryable, tokenHash: string): Promise<(SessionRow & { device_name: string | null; user_agent: string | null }) | undefined> {
  const { rows } = await db.query<SessionRow & { device_name: string | null; user_agent: string | null }>(
    `select id, family_id, user_id, expires_at, rotated_at, revoked_at, device_name, user_agent
     from auth.sessions where token_hash = $1 for update`,
    [tokenHash],
  );
  return rows[0];
}

export async function markRotated(db: Queryable, sessionID: string): Promise<void> {
  await db.query('update auth.sessions set rotated_at = now() where id = $1', [sessionID]);
}

export async function revokeFamily(db: Queryable, familyID: string): Promise<void> {
  await db.query('update auth.sessions set revoked_at = now() where family_id = $1 and revoked_at is null', [familyID]);
}

export async function revokeUserSessions(db: Queryable, userID: string): Promise<void> {
  await db.query('update auth.sessions set revoked_at = now() where user_id = $1 and revoked_at is null', [userID]);
}
