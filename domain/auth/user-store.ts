import type { Queryable } from '@niaga/db';
import type { AccessClaims, AuthUser, Role } from '@niaga/protocol';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  warehouse_id: string | null;
  territory_id: string | null;
  agent_id: string | null;
  customer_id: string | null;
  disabled: boolean;
}

const columns = 'id, email, name, role, password_hash, warehouse_id, territory_id, agent_id, customer_id, disabled';

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`select ${columns} from auth.users where email = $1`, [email.trim().toLowerCase()]);
  return rows[0];
}

export async function findUserByID(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`select ${columns} from auth.users where id = $1`, [id]);
  return rows[0];
}

/**
 * The user row is the lock over that user's sessions: refresh, login and every revocation take it
 * (FOR UPDATE) before touching auth.sessions, so a revocation cannot miss a token a concurrent
 * refresh is inserting, and a login cannot slip past a concurrent disabling.
 */
export async function lockUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`select ${columns} from auth.users where id = $1 for update`, [id]);
  return rows[0];
}

/** lockUser for the owner of a refresh token. */
export async function lockUserOfToken(db: Queryable, tokenHash: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    `select ${columns.split(', ').map((column) => `u.${column}`).join(', ')}
       from auth.users u join auth.sessions s on s.user_id = u.id where s.token_hash = $1 for update of u`,
    [tokenHash],
  );
  return rows[0];
}

export function claimsOf(user: UserRow, sessionFamilyID: string): AccessClaims {
  return {
    sub: user.id,
    role: user.role,
    sid: sessionFamilyID,
    warehouse_id: user.warehouse_id,
    territory_id: user.territory_id,
    agent_id: user.agent_id,
    customer_id: user.customer_id,
  };
}

export function publicUser(user: UserRow): AuthUser {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    warehouseId: user.warehouse_id,
    territoryId: user.territory_id,
    agentId: user.agent_id,
    customerId: user.customer_id,
  };
}
