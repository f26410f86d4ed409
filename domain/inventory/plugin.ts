import type { FastifyPluginAsync } from 'fastify';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';
import { registerMovements } from './movements.ts';
import { registerStock } from './stock.ts';
import { registerTransfers } from './transfers.ts';
import { registerWarehouses } from './warehouses.ts';

/** Warehouses and bins, stock levels, the movement ledger and transfers between warehouses. */
export const inventoryPlugin: FastifyPluginAsync<DomainPluginOptions> = async (app, { db }) => {
  registerWarehouses(app, db);
  registerStock(app, db);
  registerMovements(app, db);
  registerTransfers(app, db);
};
