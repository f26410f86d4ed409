import type { Queryable } from '@niaga/db';

export interface CustomerScope {
  id: string;
  territory_id: string | null;
  currency: string;
  active: boolean;
}

/** Other domains (orders, agents) read a customer's scope through this, never by joining. */
export async function findCustomerScope(db: Queryable, customerID: string): Promise<CustomerScope | undefined> {
  const { rows } = await db.query<CustomerScope>(
    'select id, territory_id, currency, active from customers.customers where id = $1',
    [customerID],
  );
  return rows[0];
}
