import type { DemoTables } from './demo-tables.ts';
import { CURRENCY } from './generate-catalog.ts';
import type { DemoWarehouse } from './generate-inventory.ts';
import type { DemoOrder } from './generate-orders.ts';
import { Random } from './random.ts';
import { BASE_MS, dayOf, iso } from './time.ts';

/**
 * The read models as their consumers would have left them.
 * sales_summary: one row per UTC day of placed_at × territory × agent (null for storefront and
 * admin orders), over orders not cancelled; revenue is the subtotal (before tax).
 * inventory_summary: per warehouse, over its stock items; value at cost; low stock means
 * available at or under the reorder point.
 */
export function generateReporting(tables: DemoTables, seed: number, orders: DemoOrder[], warehouses: DemoWarehouse[]): void {
  const random = new Random(seed, 'reporting');
  const now = iso(BASE_MS);
  const groups = new Map<string, { day: string; territoryID: string; agentID: string | null; orders: number; units: number; revenue: number }>();
  for (const order of orders) {
    if (order.status === 'cancelled') continue;
    const day = dayOf(order.placedMs);
    const key = `${day}|${order.territoryID}|${order.agentID ?? ''}`;
    const group = groups.get(key) ?? { day, territoryID: order.territoryID, agentID: order.agentID, orders: 0, units: 0, revenue: 0 };
    group.orders++;
    group.units += order.units;
    group.revenue += order.subtotalMinor;
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    tables.salesSummary.add({
      id: random.uuid(), day: group.day, territory_id: group.territoryID, agent_id: group.agentID, currency: CURRENCY,
      orders_count: group.orders, units: group.units, revenue_minor: group.revenue, updated_at: now,
    });
  }
  for (const warehouse of warehouses) {
    let units = 0;
    let reserved = 0;
    let value = 0;
    let low = 0;
    for (const stock of warehouse.stock) {
      units += stock.onHand;
      reserved += stock.reserved;
      value += stock.onHand * stock.product.costMinor;
      if (stock.onHand - stock.reserved <= stock.reorderPoint) low++;
    }
    tables.inventorySummary.add({
      warehouse_id: warehouse.id, sku_count: warehouse.stock.length, units_on_hand: units, units_reserved: reserved, value_minor: value,
      low_stock_count: low, updated_at: now,
    });
  }
}
