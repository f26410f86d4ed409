/** Prerequisite rows for inventory route tests, written with plain SQL (imported by tests only). */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@niaga/db';

let sequence = 0;
const next = () => ++sequence;

export async function insertWarehouse(db: Queryable, code = `WH-${next()}`): Promise<string> {
  const id = randomUUID();
  await db.query('insert into inventory.warehouses (id, code, name) values ($1, $2, $3)', [id, code, `Warehouse ${code}`]);
  return id;
}

export async function insertBin(db: Queryable, warehouseID: string, code = `B-${next()}`, sortOrder = 0): Promise<string> {
  const id = randomUUID();
  await db.query('insert into inventory.bins (id, warehouse_id, code, sort_order) values ($1, $2, $3, $4)', [id, warehouseID, code, sortOrder]);
  return id;
}

export async function insertProduct(db: Queryable, extra: { active?: boolean; priceMinor?: number; currency?: string } = {}): Promise<string> {
  const id = randomUUID();
  const sku = `SKU-${next()}-${id.slice(0, 8)}`;
  await db.query('insert into catalog.products (id, sku, name, price_minor, currency, active) values ($1, $2, $3, $4, $5, $6)', [
    id,
    sku,
    `Product ${sku}`,
    extra.priceMinor ?? 1000,
    extra.currency ?? 'USD',
    extra.active ?? true,
  ]);
  return id;
}

export async function insertStock(db: Queryable, warehouseID: string, productID: string, onHand: number, reorderPoint = 0): Promise<string> {
  const id = randomUUID();
  await db.query('insert into inventory.stock_items (id, warehouse_id, product_id, on_hand, reorder_point) values ($1, $2, $3, $4, $5)', [
    id,
    warehouseID,
    productID,
    onHand,
    reorderPoint,
  ]);
  return id;
}
