import type { DemoTables } from './demo-tables.ts';
import type { DemoScale } from './demo-scale.ts';
import type { DemoProduct } from './generate-catalog.ts';
import { Random } from './random.ts';
import { BASE_MS, DAY, HOUR, iso } from './time.ts';
import { places } from './words.ts';

export interface DemoBin {
  id: string;
  code: string;
  sortOrder: number;
}

export interface DemoWarehouse {
  id: string;
  code: string;
  bins: DemoBin[];
  /** What it stocks; `active` lists only products still for sale. */
  stock: DemoStock[];
  active: DemoStock[];
  /** Stock at or under its reorder point, for orders that must go backordered. */
  low: DemoStock[];
}

/** One stock item, kept in memory until orders and transfers have moved it, then written once. */
export interface DemoStock {
  id: string;
  warehouse: DemoWarehouse;
  product: DemoProduct;
  bin: DemoBin;
  /** Today's quantities: history is generated backwards from them. */
  onHand: number;
  reserved: number;
  reorderPoint: number;
  /** Units that left (picks, transfers out) and arrived (transfers in) after the opening receipt. */
  outflow: number;
  inflow: number;
  changes: number;
  lastChangeMs: number;
}

/** The day every stock item was opened with a receipt (after the last product was created). */
export const OPENING_MS = BASE_MS - 90 * DAY + 6 * HOUR;

const zoneLetters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function generateInventory(tables: DemoTables, scale: DemoScale, seed: number, products: DemoProduct[]): DemoWarehouse[] {
  const random = new Random(seed, 'inventory');
  const created = iso(BASE_MS - 400 * DAY);
  const warehouses: DemoWarehouse[] = [];
  for (let w = 0; w < scale.warehouses; w++) {
    const place = places[w % places.length]!;
    const warehouse: DemoWarehouse = { id: random.uuid(), code: `WH-${w + 1}`, bins: [], stock: [], active: [], low: [] };
    tables.warehouses.add({
      id: warehouse.id, code: warehouse.code, name: `${place.name} Distribution Centre`, address: `Kawasan Industri ${place.cities[0]}, ${place.region}`,
      timezone: place.timezone, active: true, created_at: created, updated_at: created,
    });
    // Ten bins to a zone; sort_order is the walking order (snaking up and down the aisles).
    for (let b = 0; b < scale.binsPerWarehouse; b++) {
      const zone = zoneLetters[Math.floor(b / 10) % zoneLetters.length]!;
      const bin: DemoBin = { id: random.uuid(), code: `${zone}-${String((b % 10) + 1).padStart(2, '0')}`, sortOrder: (b + 1) * 10 };
      tables.bins.add({ id: bin.id, warehouse_id: warehouse.id, code: bin.code, zone, sort_order: bin.sortOrder, created_at: created, updated_at: created });
      warehouse.bins.push(bin);
    }
    warehouses.push(warehouse);
  }

  for (const product of products) {
    for (const warehouse of warehouses) {
      if (scale.stockedShare < 1 && !random.chance(scale.stockedShare)) continue;
      const reorderPoint = random.int(1, 8) * 5;
      const level = random.weighted([['empty', 6], ['low', 12], ['healthy', 82]] as const);
      const onHand = level === 'empty' ? 0 : level === 'low' ? random.int(1, reorderPoint) : reorderPoint + random.int(10, 300);
      const stock: DemoStock = {
        id: random.uuid(), warehouse, product, bin: random.pick(warehouse.bins), onHand, reserved: 0, reorderPoint,
        outflow: 0, inflow: 0, changes: 0, lastChangeMs: OPENING_MS,
      };
      warehouse.stock.push(stock);
      if (product.active) warehouse.active.push(stock);
      if (product.active && onHand <= reorderPoint) warehouse.low.push(stock);
    }
  }
  return warehouses;
}

/** Records one movement and its effect on the stock item's history. */
export function addMovement(
  tables: DemoTables,
  random: Random,
  stock: DemoStock,
  movement: { kind: 'receipt' | 'pick' | 'transfer_out' | 'transfer_in'; quantity: number; reason: string; referenceType: string | null; referenceID: string | null; atMs: number; userID: string | null },
): void {
  const at = iso(movement.atMs);
  tables.movements.add({
    id: random.uuid(), warehouse_id: stock.warehouse.id, product_id: stock.product.id, bin_id: stock.bin.id, kind: movement.kind,
    quantity: movement.quantity, affects_on_hand: true, reason: movement.reason, reference_type: movement.referenceType,
    reference_id: movement.referenceID, occurred_at: at, recorded_at: at, user_id: movement.userID, created_at: at, updated_at: at,
  });
  if (movement.quantity < 0) stock.outflow -= movement.quantity;
  else if (movement.kind !== 'receipt') stock.inflow += movement.quantity;
  stock.changes++;
  stock.lastChangeMs = Math.max(stock.lastChangeMs, movement.atMs);
}

/**
 * Writes every stock item with its opening receipt, sized so that the ledger (receipt plus every
 * later movement) sums to today's on_hand.
 */
export function finishInventory(tables: DemoTables, seed: number, warehouses: DemoWarehouse[], adminUserID: string): void {
  const random = new Random(seed, 'receipts');
  for (const warehouse of warehouses) {
    for (const stock of warehouse.stock) {
      const opening = stock.onHand + stock.outflow - stock.inflow;
      if (opening < 0) throw new Error(`Demo stock ${stock.warehouse.code}/${stock.product.sku} would open negative`);
      if (opening > 0) {
        addMovement(tables, random, stock, {
          kind: 'receipt', quantity: opening, reason: 'Opening stock', referenceType: null, referenceID: null, atMs: OPENING_MS, userID: adminUserID,
        });
      }
      tables.stockItems.add({
        id: stock.id, warehouse_id: warehouse.id, product_id: stock.product.id, bin_id: stock.bin.id, on_hand: stock.onHand,
        reserved: stock.reserved, reorder_point: stock.reorderPoint, version: Math.max(1, stock.changes), last_counted_at: null,
        created_at: iso(OPENING_MS), updated_at: iso(stock.lastChangeMs),
      });
    }
  }
}
