import type { Executor } from '@niaga/db';
import { agentStockColumns, CreateStockItemBody, PatchStockItemBody, StockItem, Uuid } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { forbidden } from '../shared/errors.ts';
import { allRows, registerResource, type ResourceStore } from '../shared/resource.ts';
import { adminOrOwnWarehouse } from './access.ts';
import { requireBinIn, requireProducts, requireWarehouse } from './references.ts';

/**
 * One row per warehouse × product. Quantities (on hand, reserved) never change here: only through
 * movements, so every change has a ledger row. Agents read all stock to quote availability.
 */
export function registerStock(app: FastifyInstance, db: Executor): ResourceStore {
  return registerResource(app, db, '/stock', {
    name: 'stock item',
    table: 'inventory.stock_items',
    tag: 'inventory',
    entity: StockItem,
    createBody: CreateStockItemBody,
    patchBody: PatchStockItemBody,
    filters: {
      warehouseId: { kind: 'eq', column: 'warehouse_id', schema: Uuid },
      productId: { kind: 'eq', column: 'product_id', schema: Uuid },
      lowStock: {
        kind: 'where',
        columns: ['available', 'reorder_point'],
        schema: Type.Boolean({ description: 'true: available at or below the reorder point' }),
        sql: (value) => (value === true ? '"available" <= "reorder_point"' : '"available" > "reorder_point"'),
      },
    },
    access: {
      read: (user) => (user.role === 'agent' ? allRows : adminOrOwnWarehouse(user)),
      // Agents promise stock from availability; the warehouse's working numbers are not theirs (as in their shapes).
      visibleColumns: (user) => (user.role === 'agent' ? agentStockColumns : 'all'),
      create: async (user, values) => {
        if (user.role !== 'admin') throw forbidden('Only admins may start stock rows; receipts create them too');
        const warehouseID = values.warehouse_id as string;
        await requireWarehouse(db, warehouseID, '/warehouseId');
        await requireProducts(db, [values.product_id as string]);
        if (typeof values.bin_id === 'string') await requireBinIn(db, values.bin_id, warehouseID, '/binId');
        return values;
      },
      // Bin and reorder point are floor work: pickers may set them in their own warehouse.
      update: (user) => adminOrOwnWarehouse(user),
    },
    hooks: {
      beforeUpdate: async (tx, before, patch) => {
        if (typeof patch.bin_id === 'string') await requireBinIn(tx, patch.bin_id, before.warehouse_id as string, '/binId');
        return patch;
      },
    },
  });
}
