/**
 * The orders side of the order saga: inventory's answer (inventory.reserved or
 * inventory.insufficient) sets the order's fulfilment warehouse, each line's allocated quantity,
 * and its status: confirmed, or backordered with what is short. An order cancelled meanwhile
 * stays cancelled (inventory releases what it held on order.cancelled).
 */
import type { Queryable } from '@niaga/db';
import type { DomainEvent } from '../inventory/reservations.ts';

export interface Allocation {
  readonly orderID: string;
  readonly warehouseID: string | null;
  readonly lines: readonly { lineID: string; qty: number; allocated: number }[];
}

export async function applyAllocation(tx: Queryable, allocation: Allocation, complete: boolean): Promise<DomainEvent[]> {
  const { rows } = await tx.query<{ status: string }>('select status from orders.orders where id = $1 for update', [allocation.orderID]);
  const order = rows[0];
  if (!order || !['placed', 'adjusted', 'backordered'].includes(order.status)) return [];
  const short = allocation.lines.filter((line) => line.allocated < line.qty);
  const status = complete ? 'confirmed' : 'backordered';
  const reason = complete ? '' : `Short: ${short.map((line) => `${line.qty - line.allocated} of line ${line.lineID}`).join(', ')}`;
  // The lines and the order in one statement (different tables: neither part sees the other's rows).
  await tx.query(
    `with lines as (
       update orders.order_items i set allocated_qty = l.allocated, warehouse_id = coalesce($4, i.warehouse_id)
         from unnest($5::uuid[], $6::int[]) as l(id, allocated) where i.id = l.id and i.order_id = $1
     )
     update orders.orders set status = $2, status_reason = $3, warehouse_id = coalesce($4, warehouse_id), version = version + 1 where id = $1`,
    [allocation.orderID, status, reason, allocation.warehouseID, allocation.lines.map((line) => line.lineID), allocation.lines.map((line) => line.allocated)],
  );
  return [{ type: complete ? 'order.confirmed' : 'order.backordered', payload: { orderID: allocation.orderID, warehouseID: allocation.warehouseID, lines: allocation.lines } }];
}
