import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '@niaga/db';
import { lockUser } from './user-store.ts';

export interface SessionRow {
  id: string;
  family_id: string;
  user_id: string;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: RevocationReason | null;
}

/**
 * Why a session ended before its time. After `admin` (an administrator revoked the device) and
 * `disabled` (the account was disabled) the device must delete what it synced; after the others
 * the user only logs in again.
 */
export type RevocationReason = 'logout' | 'reuse' | 'password' | 'disabled' | 'admin';
export const deviceRevokingReasons: ReadonlySet<RevocationReason> = new Set(['admin', 'disabled']);

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
    `select id, family_id, user_id, expires_at, rotated_at, revoked_at, revoked_reason, device_name, user_agent
     from auth.sessions where token_hash = $1 for update`,
    [tokenHash],
  );
  return rows[0];
}

export async function markRotated(db: Queryable, sessionID: string): Promise<void> {
  await db.query('update auth.sessions set rotated_at = now() where id = $1', [sessionID]);
}

/**
 * Deletes the token that rotating `spentSessionID` made, if that rotation was at most
 * `graceSeconds` ago (by the database's clock) and nothing has used or ended the token since (the
 * rotation's answer may never have reached the device); presenting it later is then an unknown
 * token, and the rest of its family lives on. False if there is no such token.
 */
export async function dropUnusedSuccessor(tx: Queryable, spentSessionID: string, graceSeconds: number): Promise<boolean> {
  const { rows } = await tx.query(
    `delete from auth.sessions successor using auth.sessions spent
     where spent.id = $1 and spent.rotated_at >= now() - make_interval(secs => $2)
       and successor.family_id = spent.family_id and successor.created_at = spent.rotated_at
       and successor.rotated_at is null and successor.revoked_at is null
     returning successor.id`,
    [spentSessionID, graceSeconds],
  );
  return rows.length > 0;
}

/**
 * Which rows a revocation for `reason` ($2) changes: those still live, and, for a revocation that
 * makes the device delete its data, those ended earlier for a milder reason (a stolen phone whose
 * password was changed first is then revoked: the device must hear DEVICE_REVOKED).
 */
const revocable = `(revoked_at is null or ($2 in ('admin', 'disabled') and coalesce(revoked_reason, 'logout') not in ('admin', 'disabled')))`;

/**
 * Revokes a device's session (every token of its family); false if there is no such family. Takes
 * the owner's row lock first (see lockUser): pass a transaction.
 */
export async function revokeFamily(tx: Queryable, familyID: string, reason: RevocationReason): Promise<boolean> {
  const { rows } = await tx.query<{ user_id: string }>('select user_id from auth.sessions where family_id = $1 limit 1', [familyID]);
  if (!rows[0]) return false;
  await lockUser(tx, rows[0].user_id);
  await tx.query(`update auth.sessions set revoked_at = now(), revoked_reason = $2 where family_id = $1 and ${revocable}`, [familyID, reason]);
  return true;
}

/** Revokes every session of a user whose row the caller has locked (see lockUser). */
export async function revokeUserSessions(tx: Queryable, userID: string, reason: RevocationReason): Promise<void> {
  await tx.query(`update auth.sessions set revoked_at = now(), revoked_reason = $2 where user_id = $1 and ${revocable}`, [userID, reason]);
}

/** A device's session as an admin sees it: one row per login (its refresh tokens rotate within it). */
export interface DeviceSessionRow {
  id: string;
  user_id: string;
  device_name: string | null;
  user_agent: string | null;
  signed_in_at: Date;
  last_refreshed_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: RevocationReason | null;
}

export async function listDeviceSessions(db: Queryable, userID: string): Promise<DeviceSessionRow[]> {
  const { rows } = await db.query<DeviceSessionRow>(
    `select family_id as id, user_id, (array_agg(device_name order by created_at))[1] as device_name,
            (array_agg(user_agent order by created_at))[1] as user_agent, min(created_at) as signed_in_at,
            max(created_at) as last_refreshed_at, max(expires_at) as expires_at, max(revoked_at) as revoked_at,
            (array_agg(revoked_reason order by revoked_at desc nulls last))[1] as revoked_reason
     from auth.sessions where user_id = $1
     group by family_id, user_id
     order by max(created_at) desc`,
    [userID],
  );
  return rows;
}
