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
