import type { Queryable } from '@niaga/db';

export interface TerritoryRef {
  id: string;
  code: string;
}

/** Other domains (customers) check a territory through this, never by joining agents tables. */
export async function findTerritory(db: Queryable, territoryID: string): Promise<TerritoryRef | undefined> {
  const { rows } = await db.query<TerritoryRef>('select id, code from agents.territories where id = $1', [territoryID]);
  return rows[0];
}
