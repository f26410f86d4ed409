import type { FastifyPluginAsync } from 'fastify';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';

// Scaffolding: the inventory routes are being written (see issue 2).
export const inventoryPlugin: FastifyPluginAsync<DomainPluginOptions> = async () => {};
