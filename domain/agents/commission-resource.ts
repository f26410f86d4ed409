import type { Executor } from '@niaga/db';
import { Commission, CommissionStatus, PatchCommissionBody, type CommissionStatus as Status } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../shared/errors.ts';
import { registerResource } from '../shared/resource.ts';
import { adminOrOwnAgent, uuidFilter } from './access.ts';

/** Paid and void are final: money that left, or a claim that was dropped, is not reopened here. */
const nextStatuses: Readonly<Record<Status, readonly Status[]>> = {
  pending: ['approved', 'void'],
  approved: ['paid', 'void'],
  paid: [],
  void: [],
};

export function assertCommissionTransition(from: Status, to: Status): void {
  if (from === to || nextStatuses[from].includes(to)) return;
  throw new DomainError('INVALID_STATE', `A ${from} commission cannot become ${to}`, { from, to, allowed: nextStatuses[from] });
}

/** Commissions are written by the order write path; here they are read, and admins settle them. */
export function registerCommissions(app: FastifyInstance, db: Executor): void {
  registerResource(app, db, '/commissions', {
    name: 'commission',
    table: 'agents.commissions',
    tag: 'agents',
    entity: Commission,
    patchBody: PatchCommissionBody,
    sortColumn: 'earned_at',
    filters: { agentId: uuidFilter('agent_id'), status: { kind: 'eq', column: 'status', schema: CommissionStatus } },
    access: { read: adminOrOwnAgent('agent_id') },
    hooks: {
      beforeUpdate: async (_tx, before, patch) => {
        if (typeof patch.status === 'string') assertCommissionTransition(before.status as Status, patch.status as Status);
        return patch;
      },
    },
  });
}
