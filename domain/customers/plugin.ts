import type { FastifyPluginAsync } from 'fastify';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';
import { registerAddresses } from './address-resource.ts';
import { registerCustomers } from './customer-resource.ts';
import { registerWishlists } from './wishlist-resource.ts';

/** Mounted at /api/v1/customers: customers at the root, then /addresses and /wishlists. */
export const customersPlugin: FastifyPluginAsync<DomainPluginOptions> = async (app, { db }) => {
  // Static paths (/addresses, /wishlists) win over /:id in Fastify's router.
  registerCustomers(app, db);
  registerAddresses(app, db);
  registerWishlists(app, db);
};
