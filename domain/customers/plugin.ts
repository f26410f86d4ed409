import type { FastifyPluginAsync } from 'fastify';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';

// Scaffolding: the customers routes are being written (see issue 2).
export const customersPlugin: FastifyPluginAsync<DomainPluginOptions> = async () => {};
