/** Prerequisite rows for order route tests, written with plain SQL (imported by tests only). */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@niaga/db';

export { insertBin, insertProduct, insertWarehouse } from '../inventory/test-fixtures.ts';

export async function insertCustomer(
  db: Queryable,
  extra: { territoryID?: string | null; currency?: string; active?: boolean } = {},
): Promise<string> {
  const id = randomUUID();
  await db.query('insert into customers.customers (id, name, territory_id, currency, active) values ($1, $2, $3, $4, $5)', [
    id,
    `Customer ${id.slice(0, 8)}`,
    extra.territoryID ?? null,
    extra.currency ?? 'USD',
    extra.active ?? true,
  ]);
  return id;
}

/** An order row with one item, for read and PATCH tests that do not go through placement. */
export async function insertOrder(
  db: Queryable,
  scope: { customerID: string; agentID?: string | null; warehouseID?: string | null; status?: string; productID?: string },
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into orders.orders (id, status, customer_id, agent_id, warehouse_id, currency, subtotal_minor, total_minor)
     values ($1, $2, $3, $4, $5, 'USD', 500, 500)`,
    [id, scope.status ?? 'placed', scope.customerID, scope.agentID ?? null, scope.warehouseID ?? null],
  );
  await db.query(
    `insert into orders.order_items (order_id, customer_id, agent_id, warehouse_id, product_id, sku, name, qty, unit_price_minor, line_total_minor)
     values ($1, $2, $3, $4, $5, 'SKU-X', 'Thing', 1, 500, 500)`,
    [id, scope.customerID, scope.agentID ?? null, scope.warehouseID ?? null, scope.productID ?? randomUUID()],
  );
  return id;
}
