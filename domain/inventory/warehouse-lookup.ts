import type { Queryable } from '@niaga/db';

export interface WarehouseRef {
  id: string;
  code: string;
  active: boolean;
}

export interface BinRef {
  id: string;
  warehouse_id: string;
  code: string;
  sort_order: number;
}

/** Other domains (orders) read warehouses through this, never by joining inventory tables. */
export async function findWarehouse(db: Queryable, warehouseID: string): Promise<WarehouseRef | undefined> {
  const { rows } = await db.query<WarehouseRef>('select id, code, active from inventory.warehouses where id = $1', [warehouseID]);
  return rows[0];
}

export async function findBin(db: Queryable, binID: string): Promise<BinRef | undefined> {
  const { rows } = await db.query<BinRef>('select id, warehouse_id, code, sort_order from inventory.bins where id = $1', [binID]);
  return rows[0];
}
