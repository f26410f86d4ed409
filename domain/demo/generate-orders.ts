import type { DemoTables } from './demo-tables.ts';
import type { DemoScale } from './demo-scale.ts';
import { CURRENCY, type DemoVariant } from './generate-catalog.ts';
import type { DemoStock, DemoWarehouse } from './generate-inventory.ts';
import type { DemoAgent, DemoCustomer } from './generate-people.ts';
import type { DemoUserIDs } from './demo-users.ts';
import { clampToNow, lastChange, orderTimeline, statusForAge, type DemoOrderStatus } from './order-timeline.ts';
import { addFulfilment } from './generate-fulfilment.ts';
import { Random } from './random.ts';
import { BASE_MS, DAY, MINUTE, iso } from './time.ts';

export const TAX_PERCENT = 11; // Indonesian VAT (PPN)

/** What reporting needs to know about an order. */
export interface DemoOrder {
  id: string;
  status: DemoOrderStatus;
  placedMs: number;
  territoryID: string;
  agentID: string | null;
  subtotalMinor: number;
  units: number;
}

export interface DemoLine {
  id: string;
  stock: DemoStock;
  variant: DemoVariant | null;
  qty: number;
  unitPriceMinor: number;
  allocated: number;
  picked: number;
}

export interface OrderContext {
  agents: DemoAgent[];
  customers: DemoCustomer[];
  users: DemoUserIDs;
  /** Picker user per warehouse id, for assignments and the movements they record. */
  pickers: ReadonlyMap<string, string>;
}

const available = (stock: DemoStock) => stock.onHand - stock.reserved;

function chooseStock(random: Random, warehouse: DemoWarehouse, count: number, backordered: boolean): DemoStock[] {
  const chosen = random.sample(warehouse.active, count);
  if (!backordered) return chosen;
  // A backordered order needs a line the warehouse cannot cover: lead with a low-stock item.
  const short = random.pick(warehouse.low);
  return [short, ...chosen.filter((stock) => stock !== short)].slice(0, Math.max(1, count));
}

/** Reserves what stock allows; returns the status the order ends in (short lines make it backordered). */
function allocate(random: Random, status: DemoOrderStatus, lines: DemoLine[]): DemoOrderStatus {
  if (status !== 'confirmed' && status !== 'picking' && status !== 'backordered') return status;
  const fits = lines.every((line) => available(line.stock) >= line.qty);
  const final = fits && status !== 'backordered' ? status : 'backordered';
  for (const line of lines) line.allocated = Math.max(0, Math.min(line.qty, available(line.stock)));
  const first = lines[0]!;
  if (final === 'backordered' && fits) first.qty = first.allocated + random.int(1, 12);
  for (const line of lines) {
    line.stock.reserved += line.allocated;
    if (line.allocated > 0) line.stock.changes++;
  }
  return final;
}

export function generateOrders(tables: DemoTables, scale: DemoScale, seed: number, context: OrderContext): DemoOrder[] {
  const random = new Random(seed, 'orders');
  const shopper = context.customers[0]!;
  const shopperShare = Math.min(0.3, 12 / Math.max(1, scale.orders * 0.25));
  const sellingAgents = context.agents.filter((agent) => agent.customers.length > 0);
  // A fifth of the orders fall in the last three days, so pickers and agents find open work.
  const placedTimes = Array.from({ length: scale.orders }, () => {
    const daysAgo = random.chance(0.2) ? random.int(1, 3) : random.int(1, scale.historyDays);
    return BASE_MS - daysAgo * DAY + random.int(7 * 60, 19 * 60) * MINUTE;
  });
  placedTimes.sort((a, b) => a - b);

  return placedTimes.map((placedMs, index) => {
    const source = random.weighted([['agent', 60], ['storefront', 25], ['admin', 15]] as const);
    const agent = source === 'agent' ? random.pick(sellingAgents) : null;
    const customer = agent !== null ? random.pick(agent.customers) : source === 'storefront' && random.chance(shopperShare) ? shopper : random.pick(context.customers);
    const warehouse = customer.territory.warehouse;
    const timeline = orderTimeline(random, placedMs);
    let status = clampToNow(statusForAge(random, Math.ceil((BASE_MS - placedMs) / DAY)), timeline);
    if (status === 'backordered' && warehouse.low.length === 0) status = 'confirmed';
    const lines: DemoLine[] = chooseStock(random, warehouse, random.weighted([[1, 2], [2, 3], [3, 4], [4, 4], [5, 3], [6, 2], [8, 1]]), status === 'backordered').map((stock) => {
      const variant = stock.product.variants.length > 0 ? random.pick(stock.product.variants) : null;
      return {
        id: random.uuid(), stock, variant, qty: random.weighted([[1, 3], [2, 3], [3, 2], [5, 2], [6, 2], [10, 2], [12, 2], [24, 1]]),
        unitPriceMinor: variant?.priceMinor ?? stock.product.priceMinor, allocated: 0, picked: 0,
      };
    });
    status = allocate(random, status, lines);
    if (status === 'shipped' || status === 'delivered') for (const line of lines) line.picked = line.allocated = line.qty;

    const order: DemoOrder = {
      id: random.uuid(), status, placedMs, territoryID: customer.territory.id, agentID: agent?.id ?? null,
      subtotalMinor: lines.reduce((sum, line) => sum + line.qty * line.unitPriceMinor, 0), units: lines.reduce((sum, line) => sum + line.qty, 0),
    };
    const taxMinor = Math.round((order.subtotalMinor * TAX_PERCENT) / 100);
    const change = lastChange(status, timeline);
    const createdBy = agent !== null ? agent.userID : source === 'admin' ? context.users.admin : customer === shopper ? context.users.shopper : null;
    tables.orders.add({
      id: order.id, number: `SO-${String(index + 1).padStart(6, '0')}`, status, source, customer_id: customer.id, agent_id: order.agentID,
      territory_id: order.territoryID, warehouse_id: warehouse.id, currency: CURRENCY, subtotal_minor: order.subtotalMinor, tax_minor: taxMinor,
      total_minor: order.subtotalMinor + taxMinor, note: random.weighted([['', 12], ['Call before delivery', 1], ['Deliver to the back door', 1], ['Needed before the weekend market', 1]]),
      status_reason: status === 'backordered' ? `Not enough stock at ${warehouse.code}` : status === 'cancelled' ? random.pick(['Customer changed the order', 'Duplicate order', 'Shop closed for renovation']) : '',
      occurred_at: iso(source === 'agent' ? placedMs - random.int(0, 90) * MINUTE : placedMs), placed_at: iso(placedMs),
      cancelled_at: status === 'cancelled' ? iso(timeline.cancelledMs) : null, created_by: createdBy, version: change.version,
      created_at: iso(placedMs), updated_at: iso(change.atMs),
    });
    addFulfilment(tables, random, { order, customer, agent, warehouse, lines, timeline, taxMinor, pickerID: context.pickers.get(warehouse.id) ?? null });
    return order;
  });
}
