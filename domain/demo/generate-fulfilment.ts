import type { DemoTables } from './demo-tables.ts';
import { CURRENCY } from './generate-catalog.ts';
import { addMovement, type DemoWarehouse } from './generate-inventory.ts';
import type { DemoLine, DemoOrder } from './generate-orders.ts';
import type { DemoAgent, DemoCustomer } from './generate-people.ts';
import type { OrderTimeline } from './order-timeline.ts';
import type { Random } from './random.ts';
import { BASE_MS, DAY, HOUR, MINUTE, iso } from './time.ts';

export interface FulfilmentInput {
  order: DemoOrder;
  customer: DemoCustomer;
  agent: DemoAgent | null;
  warehouse: DemoWarehouse;
  lines: DemoLine[];
  timeline: OrderTimeline;
  taxMinor: number;
  pickerID: string | null;
}

/**
 * Everything an order's status implies: its lines (scope columns copied), pick lists for orders
 * being picked, pick movements for what left the shelf, payment and commission once delivered.
 * Stock leaves on_hand when it is picked; what is allocated but not yet picked stays reserved.
 */
export function addFulfilment(tables: DemoTables, random: Random, input: FulfilmentInput): void {
  const { order, customer, agent, warehouse, timeline } = input;
  const status = order.status;
  // Pickers walk the bins in order, so lines are listed (and picked) in bin order.
  const lines = [...input.lines].sort((a, b) => a.stock.bin.sortOrder - b.stock.bin.sortOrder);
  const pickedCount = status === 'picking' ? random.int(0, lines.length - 1) : status === 'shipped' || status === 'delivered' ? lines.length : 0;
  const firstPickMs = status === 'picking' ? timeline.pickStartMs : timeline.shippedMs - 2 * HOUR;
  lines.forEach((line, index) => {
    if (index >= pickedCount) return;
    const pickedMs = firstPickMs + index * 3 * MINUTE;
    if (status === 'picking') {
      line.picked = line.allocated;
      line.stock.reserved -= line.picked;
    }
    addMovement(tables, random, line.stock, {
      kind: 'pick', quantity: -line.picked, reason: 'Picked for order', referenceType: 'order', referenceID: order.id, atMs: pickedMs, userID: input.pickerID,
    });
  });

  const placed = iso(timeline.placedMs);
  const lineUpdated = status === 'placed' ? placed : iso(status === 'picking' ? timeline.pickStartMs + pickedCount * 3 * MINUTE : timeline.confirmedMs);
  for (const line of lines) {
    const product = line.stock.product;
    tables.orderItems.add({
      id: line.id, order_id: order.id, customer_id: customer.id, agent_id: order.agentID, warehouse_id: warehouse.id, product_id: product.id,
      variant_id: line.variant?.id ?? null, sku: line.variant?.sku ?? product.sku, name: line.variant ? `${product.name} (${line.variant.label})` : product.name,
      qty: line.qty, unit_price_minor: line.unitPriceMinor, line_total_minor: line.qty * line.unitPriceMinor, allocated_qty: line.allocated,
      picked_qty: line.picked, created_at: placed, updated_at: status === 'shipped' || status === 'delivered' ? iso(timeline.shippedMs - 2 * HOUR + lines.length * 3 * MINUTE) : lineUpdated,
    });
  }

  if (status === 'confirmed' || status === 'picking') {
    const pickListID = random.uuid();
    const listCreated = iso(timeline.confirmedMs);
    tables.pickLists.add({
      id: pickListID, order_id: order.id, warehouse_id: warehouse.id, status: status === 'picking' ? 'in_progress' : 'open',
      assigned_to: status === 'picking' ? input.pickerID : null, completed_at: null, created_at: listCreated,
      updated_at: status === 'picking' ? lineUpdated : listCreated,
    });
    lines.forEach((line, index) => {
      const picked = index < pickedCount;
      tables.pickLines.add({
        id: random.uuid(), pick_list_id: pickListID, order_item_id: line.id, warehouse_id: warehouse.id, product_id: line.stock.product.id,
        bin_id: line.stock.bin.id, bin_code: line.stock.bin.code, bin_sort_order: line.stock.bin.sortOrder, qty: line.allocated,
        picked_qty: line.picked, status: picked ? 'picked' : 'pending', created_at: listCreated,
        updated_at: picked ? iso(timeline.pickStartMs + index * 3 * MINUTE) : listCreated,
      });
    });
  }

  if (status !== 'delivered') return;
  const total = order.subtotalMinor + input.taxMinor;
  const settled = BASE_MS - timeline.deliveredMs > 14 * DAY;
  const method = random.weighted([['cash', 40], ['bank_transfer', 35], ['card', 10], ['credit', customer.creditLimitMinor > 0 ? 15 : 0]] as const);
  const pending = method === 'credit' && !settled;
  const processedMs = Math.min(timeline.deliveredMs + (method === 'bank_transfer' ? random.int(1, 48) * HOUR : 0), BASE_MS - MINUTE);
  tables.payments.add({
    id: random.uuid(), order_id: order.id, customer_id: customer.id, agent_id: order.agentID, amount_minor: total, currency: CURRENCY, method,
    status: pending ? 'pending' : 'processed', provider_ref: method === 'card' ? `CH-${random.uuid().slice(0, 8)}` : method === 'bank_transfer' ? `TRF-${random.int(100000, 999999)}` : null,
    processed_at: pending ? null : iso(processedMs), created_at: iso(timeline.deliveredMs), updated_at: iso(pending ? timeline.deliveredMs : processedMs),
  });
  if (agent === null) return;
  const earned = iso(timeline.deliveredMs);
  tables.commissions.add({
    id: random.uuid(), agent_id: agent.id, order_id: order.id, amount_minor: Math.floor((order.subtotalMinor * agent.rateBp) / 10_000),
    currency: CURRENCY, rate_bp: agent.rateBp, status: settled ? 'paid' : 'approved', earned_at: earned, created_at: earned, updated_at: earned,
  });
}
