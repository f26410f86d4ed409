import type { FastifyPluginAsync } from 'fastify';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';
import { registerAgents, registerTerritories } from './agent-resources.ts';
import { registerCommissions } from './commission-resource.ts';
import { registerRoutes } from './route-resource.ts';

/** Mounted at /api/v1/agents: the agents themselves at the root, then their sub-resources. */
export const agentsPlugin: FastifyPluginAsync<DomainPluginOptions> = async (app, { db }) => {
  // Static paths (/territories, /routes, /commissions) win over /:id in Fastify's router.
  registerAgents(app, db);
  registerTerritories(app, db);
  registerRoutes(app, db);
  registerCommissions(app, db);
};
