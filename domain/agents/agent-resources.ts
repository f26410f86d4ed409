import type { Executor } from '@niaga/db';
import { Agent, CreateAgentBody, CreateTerritoryBody, PatchAgentBody, PatchTerritoryBody, Territory } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { registerResource, rolesFor } from '../shared/resource.ts';
import { adminOrOwnAgent, uuidFilter } from './access.ts';

/** The field force: admins manage it; an agent sees only their own row. */
export function registerAgents(app: FastifyInstance, db: Executor): void {
  // Path '' so the list is GET <prefix> and one agent GET <prefix>/:id.
  registerResource(app, db, '', {
    name: 'agent',
    table: 'agents.agents',
    tag: 'agents',
    entity: Agent,
    createBody: CreateAgentBody,
    patchBody: PatchAgentBody,
    deletable: true,
    sortColumn: 'code',
    filters: {
      q: { kind: 'search', columns: ['name', 'code', 'email', 'phone'] },
      territoryId: uuidFilter('territory_id'),
      active: { kind: 'eq', column: 'active', schema: Type.Boolean() },
    },
    access: { read: adminOrOwnAgent('id') },
  });
}

/** Territories are reference data for the field and the warehouses; admins keep them. */
export function registerTerritories(app: FastifyInstance, db: Executor): void {
  registerResource(app, db, '/territories', {
    name: 'territory',
    table: 'agents.territories',
    tag: 'agents',
    entity: Territory,
    createBody: CreateTerritoryBody,
    patchBody: PatchTerritoryBody,
    // An agent still in the territory makes the delete a 409 INVALID_STATE (foreign key).
    deletable: true,
    sortColumn: 'code',
    filters: { q: { kind: 'search', columns: ['code', 'name', 'region'] } },
    access: { read: rolesFor('admin', 'agent', 'warehouse') },
  });
}
