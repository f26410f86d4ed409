import type { Executor, Queryable } from '@niaga/db';
import {
  CreateTransferBody,
  ErrorBody,
  PatchTransferBody,
  Transfer,
  TransferDetail,
  TransferLine,
  TransferStatus,
  Uuid,
  type AccessClaims,
} from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../shared/errors.ts';
import { allRows, registerResource, type ResourceStore, type Scope, type Values } from '../shared/resource.ts';
import { Params } from '../shared/sql.ts';
import { requireUser } from '../shared/user.ts';
import { ensureMayActIn } from './access.ts';
import { requireProducts, requireWarehouse } from './references.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
type Problem = { in: 'body'; path: string; message: string };

/** A picker sees transfers leaving or reaching their warehouse. */
function readScope(user: AccessClaims): Scope | 'deny' {
  if (user.role === 'admin') return allRows;
  if (user.role !== 'warehouse' || !user.warehouse_id) return 'deny';
  return [{ from_warehouse_id: user.warehouse_id }, { to_warehouse_id: user.warehouse_id }];
}

/** The sending side owns a draft: a picker edits or cancels only transfers out of their warehouse. */
function updateScope(user: AccessClaims): Scope | 'deny' {
  if (user.role === 'admin') return allRows;
  return user.role === 'warehouse' && user.warehouse_id ? { from_warehouse_id: user.warehouse_id } : 'deny';
}

export function transferBodyProblems(body: CreateTransferBody): Problem[] {
  const problems: Problem[] = [];
  if (body.fromWarehouseId === body.toWarehouseId) {
    problems.push({ in: 'body', path: '/toWarehouseId', message: 'must differ from fromWarehouseId' });
  }
  const seenProducts = new Set<string>();
  const seenIDs = new Set<string>();
  body.lines.forEach((line, index) => {
    if (seenProducts.has(line.productId)) problems.push({ in: 'body', path: `/lines/${index}/productId`, message: 'appears on an earlier line' });
    seenProducts.add(line.productId);
    if (line.id !== undefined) {
      if (seenIDs.has(line.id)) problems.push({ in: 'body', path: `/lines/${index}/id`, message: 'appears on an earlier line' });
      seenIDs.add(line.id);
    }
  });
  return problems;
}

async function insertTransfer(tx: Queryable, body: CreateTransferBody, createdBy: string): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `insert into inventory.transfers (id, from_warehouse_id, to_warehouse_id, note, created_by)
     values (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5) returning id`,
    [body.id ?? null, body.fromWarehouseId, body.toWarehouseId, body.note ?? '', createdBy],
  );
  const transferID = rows[0]!.id;
  const params = new Params();
  const tuples = body.lines.map((line, index) => {
    const values = [line.id ?? null, transferID, body.fromWarehouseId, body.toWarehouseId, line.productId, line.quantity].map((value) => params.add(value));
    // One microsecond per line keeps the lines in the order they were sent (there is no line number column).
    return `(coalesce(${values[0]}::uuid, gen_random_uuid()), ${values.slice(1).join(', ')}, now() + ${index} * interval '1 microsecond')`;
  });
  await tx.query(
    `insert into inventory.transfer_lines (id, transfer_id, from_warehouse_id, to_warehouse_id, product_id, quantity, created_at)
     values ${tuples.join(', ')}`,
    params.values,
  );
  return transferID;
}

export function registerTransfers(app: FastifyInstance, db: Executor): ResourceStore {
  const store = registerResource(app, db, '/transfers', {
    name: 'transfer',
    table: 'inventory.transfers',
    tag: 'inventory',
    entity: Transfer,
    patchBody: PatchTransferBody,
    children: { lines: { entity: TransferLine, table: 'inventory.transfer_lines', parentColumn: 'transfer_id' } },
    filters: {
      status: { kind: 'eq', column: 'status', schema: TransferStatus },
      fromWarehouseId: { kind: 'eq', column: 'from_warehouse_id', schema: Uuid },
      toWarehouseId: { kind: 'eq', column: 'to_warehouse_id', schema: Uuid },
    },
    access: { read: readScope, update: updateScope },
    hooks: {
      beforeUpdate: async (_tx, before, patch): Promise<Values> => {
        if (before.status !== 'draft') {
          throw new DomainError('INVALID_STATE', `This transfer is ${String(before.status)}; only a draft can be changed or cancelled`, {
            status: before.status,
          });
        }
        return patch;
      },
    },
  });

  app.post('/transfers', {
    schema: {
      tags: ['inventory'],
      summary: 'Create a draft transfer with its lines',
      security: [{ bearerAuth: [] }],
      body: CreateTransferBody,
      response: { 201: TransferDetail, ...errors },
    },
    handler: async (request, reply) => {
      const user = requireUser(request);
      const body = request.body as CreateTransferBody;
      ensureMayActIn(user, body.fromWarehouseId, 'create transfers out of a warehouse');
      const problems = transferBodyProblems(body);
      if (problems.length > 0) {
        throw new DomainError('VALIDATION_FAILED', `Invalid body: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
      }
      const detail = await db.transaction(async (tx) => {
        await requireWarehouse(tx, body.fromWarehouseId, '/fromWarehouseId');
        await requireWarehouse(tx, body.toWarehouseId, '/toWarehouseId');
        await requireProducts(tx, body.lines.map((line) => line.productId));
        const transferID = await insertTransfer(tx, body, user.sub);
        const row = await store.get(tx, transferID, allRows);
        return store.withChildren(tx, row!);
      });
      return reply.code(201).send(store.present(detail, user));
    },
  });
  return store;
}
