import type { FastifyPluginAsync } from 'fastify';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';
import { registerOrders } from './order-routes.ts';
import { registerPickLists } from './pick-lists.ts';

/** Orders with their items, and the pick lists that fulfil them. */
export const ordersPlugin: FastifyPluginAsync<DomainPluginOptions> = async (app, { db }) => {
  registerOrders(app, db);
  registerPickLists(app, db);
};
