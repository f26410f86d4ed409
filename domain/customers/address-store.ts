import type { Queryable } from '@niaga/db';

export interface LockedCustomer {
  id: string;
  territory_id: string | null;
}

/**
 * Locks the customer for the rest of the transaction, so the territory copied onto a new address
 * cannot go stale under a concurrent territory change, and address writes for one customer queue.
 */
export async function lockCustomer(tx: Queryable, customerID: string): Promise<LockedCustomer | undefined> {
  const { rows } = await tx.query<LockedCustomer>('select id, territory_id from customers.customers where id = $1 for no key update', [customerID]);
  return rows[0];
}

/** Makes room for a new default: the unique index allows one default address per customer. */
export async function clearDefaultAddress(tx: Queryable, customerID: string, exceptAddressID?: string): Promise<void> {
  await tx.query('update customers.addresses set is_default = false where customer_id = $1 and is_default and id is distinct from $2', [
    customerID,
    exceptAddressID ?? null,
  ]);
}

export async function moveAddressesToTerritory(tx: Queryable, customerID: string, territoryID: string | null): Promise<void> {
  await tx.query('update customers.addresses set territory_id = $2 where customer_id = $1', [customerID, territoryID]);
}
