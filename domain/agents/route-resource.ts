import type { Executor, Queryable } from '@niaga/db';
import { AgentRoute, CreateAgentRouteBody, PatchAgentRouteBody, VisitStatus } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { findCustomerScope } from '../customers/customer-lookup.ts';
import { DomainError } from '../shared/errors.ts';
import { allRows, ensure, registerResource, type Values } from '../shared/resource.ts';
import { adminOrOwnAgent, uuidFilter } from './access.ts';
import { withCalendarDates } from './calendar-dates.ts';

/** What an agent may change on their own planned visits. */
const agentFields = new Set(['status', 'visited_at', 'notes']);

async function agentTerritory(db: Queryable, agentID: string): Promise<string | undefined> {
  const { rows } = await db.query<{ territory_id: string }>('select territory_id from agents.agents where id = $1', [agentID]);
  return rows[0]?.territory_id;
}

/** Admins plan the visit; the route takes the agent's territory, and the customer must be in it. */
async function completeRoute(db: Queryable, values: Values): Promise<Values> {
  const territoryID = await agentTerritory(db, String(values.agent_id));
  if (!territoryID) throw new DomainError('REFERENCE_NOT_FOUND', 'No agent has this agentId', { path: '/agentId' });
  const customer = await findCustomerScope(db, String(values.customer_id));
  if (!customer) throw new DomainError('REFERENCE_NOT_FOUND', 'No customer has this customerId', { path: '/customerId' });
  if (customer.territory_id !== territoryID) {
    throw new DomainError('VALIDATION_FAILED', "The customer is not in the agent's territory", [
      { in: 'body', path: '/customerId', message: "must be a customer in the agent's territory" },
    ]);
  }
  return { ...values, territory_id: territoryID };
}

/** Planned visits: admins plan them; an agent reads their own and records how each went. */
export function registerRoutes(app: FastifyInstance, db: Executor): void {
  registerResource(app, withCalendarDates(db, ['planned_for']), '/routes', {
    name: 'route',
    table: 'agents.routes',
    tag: 'agents',
    entity: AgentRoute,
    createBody: CreateAgentRouteBody,
    patchBody: PatchAgentRouteBody,
    deletable: true,
    sortColumn: 'planned_for',
    filters: {
      agentId: uuidFilter('agent_id'),
      plannedFor: { kind: 'eq', column: 'planned_for', schema: Type.String({ format: 'date' }) },
      status: { kind: 'eq', column: 'status', schema: VisitStatus },
    },
    access: {
      read: adminOrOwnAgent('agent_id'),
      create: (user, values) => {
        ensure(user.role === 'admin', 'Only admins may plan routes');
        return completeRoute(db, values);
      },
      update: (user, patch) => {
        if (user.role === 'admin') return allRows;
        if (user.role !== 'agent' || !user.agent_id) return 'deny';
        ensure(Object.keys(patch).every((column) => agentFields.has(column)), 'Agents may change only status, visitedAt and notes of a route');
        return { agent_id: user.agent_id };
      },
    },
    hooks: {
      // A visit recorded without a time happened now.
      beforeUpdate: async (_tx, before, patch) =>
        patch.status === 'visited' && before.status !== 'visited' && patch.visited_at === undefined ? { ...patch, visited_at: new Date() } : patch,
    },
  });
}
