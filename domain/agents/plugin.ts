import type { FastifyPluginAsync } from 'fastify';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';

// Scaffolding: the agents routes are being written (see issue 2).
export const agentsPlugin: FastifyPluginAsync<DomainPluginOptions> = async () => {};
