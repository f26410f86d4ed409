/**
 * The inventory side of the order saga (ARCHITECTURE.md §5): on order.created, hold available
 * stock for each line at the fulfilment warehouse, in the order orders arrive, never more than is
 * available; on order.cancelled, release what was held. Returns the events to publish; the caller
 * writes them in the same transaction.
 */
import type { Queryable } from '@niaga/db';
import { isUuid, type EventType } from '@niaga/protocol';

export interface DomainEvent {
  readonly type: EventType;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface OrderLineToReserve {
  readonly lineID: string;
  readonly productID: string;
  readonly qty: number;
}

export interface OrderToReserve {
  readonly orderID: string;
  /** The warehouse the order asked for; null lets inventory pick one. */
  readonly warehouseID: string | null;
  readonly lines: readonly OrderLineToReserve[];
}

/** The active warehouse that can fill the most units of these lines (ties: by code). */
async function chooseWarehouse(tx: Queryable, lines: readonly OrderLineToReserve[]): Promise<string | null> {
  const { rows } = await tx.query<{ id: string }>(
    `with wanted as (select * from jsonb_to_recordset($1::jsonb) as l(product_id uuid, qty int))
     select w.id from inventory.warehouses w
       left join lateral (
         select sum(least(greatest(s.available, 0), l.qty)) as fillable
           from wanted l join inventory.stock_items s on s.product_id = l.product_id and s.warehouse_id = w.id) f on true
      where w.active
      order by coalesce(f.fillable, 0) desc, w.code
      limit 1`,
    [JSON.stringify(lines.map((line) => ({ product_id: line.productID, qty: line.qty })))],
  );
  return rows[0]?.id ?? null;
}

/**
 * Locks at once, in (product, warehouse) order, the stock rows that reserving `toReserve` and
 * releasing `toRelease` (order ids) will lock, for a transaction that handles several orders: its
 * own per-order locking (by product within each order) would otherwise take rows out of order
 * across orders and could deadlock with another transaction. An order without a warehouse locks
 * its products' rows in every warehouse (reserveOrder chooses one of them). Ids that are not
 * uuids are left to reserveOrder and releaseOrder, which refuse them.
 */
export async function lockStockForOrders(tx: Queryable, toReserve: readonly OrderToReserve[], toRelease: readonly string[]): Promise<void> {
  const products = (order: OrderToReserve) => order.lines.map((line) => line.productID).filter(isUuid);
  const inWarehouse = toReserve.flatMap((order) =>
    order.warehouseID !== null && isUuid(order.warehouseID) ? products(order).map((productID) => [order.warehouseID!, productID] as const) : [],
  );
  const anywhere = toReserve.flatMap((order) => (order.warehouseID === null ? products(order) : []));
  const released = toRelease.filter(isUuid);
  if (inWarehouse.length === 0 && anywhere.length === 0 && released.length === 0) return;
  await tx.query(
    `select 1 from inventory.stock_items s
      where (s.warehouse_id, s.product_id) in (
              select * from unnest($1::uuid[], $2::uuid[])
              union select warehouse_id, product_id from inventory.reservations where order_id = any($3::uuid[]) and status = 'active')
         or s.product_id = any($4::uuid[])
      order by s.product_id, s.warehouse_id for update`,
    [inWarehouse.map(([warehouseID]) => warehouseID), inWarehouse.map(([, productID]) => productID), released, anywhere],
  );
}

export async function reserveOrder(tx: Queryable, order: OrderToReserve): Promise<DomainEvent[]> {
  const { rows: cancelled } = await tx.query('select 1 from inventory.cancelled_orders where order_id = $1', [order.orderID]);
  if (cancelled.length > 0) return []; // its cancellation was handled first: hold nothing
  const warehouseID = order.warehouseID ?? (await chooseWarehouse(tx, order.lines));
  if (!warehouseID) {
    return [{ type: 'inventory.insufficient', payload: { orderID: order.orderID, warehouseID: null, lines: order.lines.map((line) => ({ ...line, allocated: 0 })) } }];
  }
  const allocations: (OrderLineToReserve & { allocated: number })[] = [];
  // One product at a time, in a fixed order, so concurrent reservations cannot deadlock.
  for (const line of [...order.lines].sort((a, b) => a.productID.localeCompare(b.productID) || a.lineID.localeCompare(b.lineID))) {
    // In one statement: lock the stock row, hold what is available of the line (none without a
    // stock row), and record the reservation. A line of the same product after it sees its hold.
    const { rows } = await tx.query<{ qty: number }>(
      `with stock as (
         select id, available from inventory.stock_items where warehouse_id = $1 and product_id = $2 for update
       ), taken as (
         select least($5::int, greatest(coalesce((select available from stock), 0), 0)) as qty
       ), held as (
         update inventory.stock_items s set reserved = s.reserved + taken.qty from taken, stock where s.id = stock.id and taken.qty > 0
       )
       insert into inventory.reservations (order_id, order_item_id, warehouse_id, product_id, qty)
       select $3, $4, $1, $2, taken.qty from taken
       on conflict (order_item_id) do nothing
       returning qty`,
      [warehouseID, line.productID, order.orderID, line.lineID, line.qty],
    );
    // The whole transaction rolls back with this error, the hold above included.
    if (rows.length === 0) throw new Error(`Order line ${line.lineID} was reserved already`);
    allocations.push({ ...line, allocated: rows[0]!.qty });
  }
  const lines = order.lines.map((line) => allocations.find((allocation) => allocation.lineID === line.lineID)!);
  const complete = lines.every((line) => line.allocated === line.qty);
  return [{ type: complete ? 'inventory.reserved' : 'inventory.insufficient', payload: { orderID: order.orderID, warehouseID, lines } }];
}

export async function releaseOrder(tx: Queryable, orderID: string): Promise<DomainEvent[]> {
  await tx.query('insert into inventory.cancelled_orders (order_id) values ($1) on conflict do nothing', [orderID]);
  // Stock rows first, in product order, as pick.confirm and reserveOrder lock them: no deadlock.
  await tx.query(
    `select 1 from inventory.stock_items s
      where (s.warehouse_id, s.product_id) in (select warehouse_id, product_id from inventory.reservations where order_id = $1 and status = 'active')
      order by s.product_id for update`,
    [orderID],
  );
  // What is still held: picks already took their part of each reservation (see pick.confirm).
  const { rows } = await tx.query<{ warehouse_id: string; product_id: string; qty: number }>(
    `update inventory.reservations set status = 'released' where order_id = $1 and status = 'active' returning warehouse_id, product_id, qty`,
    [orderID],
  );
  for (const row of rows.sort((a, b) => a.product_id.localeCompare(b.product_id))) {
    if (row.qty === 0) continue;
    await tx.query('update inventory.stock_items set reserved = greatest(0, reserved - $3) where warehouse_id = $1 and product_id = $2', [row.warehouse_id, row.product_id, row.qty]);
  }
  if (rows.length === 0) return [];
  return [{ type: 'inventory.released', payload: { orderID, lines: rows.map((row) => ({ warehouseID: row.warehouse_id, productID: row.product_id, qty: row.qty })) } }];
}
