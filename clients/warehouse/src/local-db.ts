/**
 * The picker's device database: Dexie over IndexedDB. Only the rows of the picker's warehouse
 * arrive (the role's shape rules), so every query here is over one warehouse's data.
 */
import type { LocalStore } from '@niaga/sync';
import { deleteDexieStore, openDexieStore } from '@niaga/sync/dexie';

const DATABASE = 'niaga-warehouse';

/** What a picker's device syncs. `orders.orders` only for the order numbers on pick lists. */
export const warehouseTables = [
  'catalog.products',
  'inventory.warehouses',
  'inventory.bins',
  'inventory.stock_items',
  'inventory.transfers',
  'inventory.transfer_lines',
  'inventory.count_lines',
  'orders.orders',
  'orders.pick_lists',
  'orders.pick_lines',
] as const;

/**
 * The columns the screens and the mutators look rows up by. Dexie answers an equality filter from
 * one index (the first indexed column of the filter), so `stock_items` indexes `product_id` and
 * not `warehouse_id` (every row has the same one).
 */
export const warehouseIndexes: Readonly<Record<string, readonly string[]>> = {
  'catalog.products': ['barcode', 'sku'],
  'inventory.bins': ['code'],
  'inventory.stock_items': ['product_id', 'bin_id'],
  'inventory.transfer_lines': ['transfer_id'],
  'inventory.count_lines': ['bin_id', 'product_id'],
  'orders.pick_lines': ['pick_list_id'],
};

export function openWarehouseStore(): Promise<LocalStore> {
  return openDexieStore({ name: DATABASE });
}

export function deleteWarehouseStore(): Promise<void> {
  return deleteDexieStore({ name: DATABASE });
}
