import type { FastifyPluginAsync } from 'fastify';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';

// Scaffolding: the orders routes are being written (see issue 2).
export const ordersPlugin: FastifyPluginAsync<DomainPluginOptions> = async () => {};
