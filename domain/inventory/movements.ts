import type { Executor } from '@niaga/db';
import { ErrorBody, Movement, MovementKind, MovementRecorded, RecordMovementBody, Uuid } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { rowToEntity } from '../shared/case.ts';
import { DomainError } from '../shared/errors.ts';
import { registerResource } from '../shared/resource.ts';
import { requireUser } from '../shared/user.ts';
import { adminOrOwnWarehouse, ensureMayActIn } from './access.ts';
import { requireBinIn, requireProducts, requireWarehouse } from './references.ts';
import { applyMovement } from './stock-ledger.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Rules on the numbers that a schema cannot say; each problem is reported like a schema error. */
export function movementQuantityProblems(kind: 'receipt' | 'adjustment', quantity: number): { in: 'body'; path: string; message: string }[] {
  if (quantity === 0) return [{ in: 'body', path: '/quantity', message: 'must not be 0' }];
  if (kind === 'receipt' && quantity < 0) return [{ in: 'body', path: '/quantity', message: 'must be > 0 for a receipt' }];
  return [];
}

/** The stock ledger: read by admins and the warehouse's pickers; receipts and adjustments written here. */
export function registerMovements(app: FastifyInstance, db: Executor): void {
  registerResource(app, db, '/movements', {
    name: 'movement',
    table: 'inventory.movements',
    tag: 'inventory',
    entity: Movement,
    sortColumn: 'occurred_at',
    filters: {
      warehouseId: { kind: 'eq', column: 'warehouse_id', schema: Uuid },
      productId: { kind: 'eq', column: 'product_id', schema: Uuid },
      kind: { kind: 'eq', column: 'kind', schema: MovementKind },
    },
    access: { read: (user) => adminOrOwnWarehouse(user) },
  });

  app.post('/movements', {
    schema: {
      tags: ['inventory'],
      summary: 'Record a receipt or an adjustment and move on hand with it',
      security: [{ bearerAuth: [] }],
      body: RecordMovementBody,
      response: { 201: MovementRecorded, ...errors },
    },
    handler: async (request, reply) => {
      const user = requireUser(request);
      const body = request.body as RecordMovementBody;
      ensureMayActIn(user, body.warehouseId, 'record stock movements');
      const problems = movementQuantityProblems(body.kind, body.quantity);
      if (problems.length > 0) throw new DomainError('VALIDATION_FAILED', `Invalid body: /quantity ${problems[0]!.message}`, problems);
      const binID = body.binId ?? null;
      const applied = await db.transaction(async (tx) => {
        await requireWarehouse(tx, body.warehouseId, '/warehouseId');
        await requireProducts(tx, [body.productId]);
        if (binID !== null) await requireBinIn(tx, binID, body.warehouseId, '/binId');
        return applyMovement(tx, {
          ...(body.id === undefined ? {} : { id: body.id }),
          ...(body.occurredAt === undefined ? {} : { occurredAt: body.occurredAt }),
          warehouseID: body.warehouseId,
          productID: body.productId,
          binID,
          kind: body.kind,
          quantity: body.quantity,
          reason: body.reason,
          userID: user.sub,
        });
      });
      return reply.code(201).send({ movement: rowToEntity(applied.movement), stockItem: rowToEntity(applied.stockItem) });
    },
  });
}
