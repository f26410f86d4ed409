import type { Executor } from '@niaga/db';
import { CreateOrderBody, ErrorBody, Order, OrderDetail, OrderItem, OrderStatus, PatchOrderBody, Uuid } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { allRows, registerResource, type ResourceStore } from '../shared/resource.ts';
import { requireUser } from '../shared/user.ts';
import { orderReadScope, orderUpdateScope } from './order-access.ts';
import { createOrder } from './order-create.ts';
import { writeEvent } from '../shared/outbox.ts';
import { planOrderPatch, type OrderState } from './order-rules.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Orders at the plugin root: list, get (with items), place, and PATCH by the rules in order-rules.ts. */
export function registerOrders(app: FastifyInstance, db: Executor): ResourceStore {
  const store = registerResource(app, db, '', {
    name: 'order',
    table: 'orders.orders',
    tag: 'orders',
    entity: Order,
    patchBody: PatchOrderBody,
    children: { items: { entity: OrderItem, table: 'orders.order_items', parentColumn: 'order_id' } },
    filters: {
      status: { kind: 'eq', column: 'status', schema: OrderStatus },
      customerId: { kind: 'eq', column: 'customer_id', schema: Uuid },
      agentId: { kind: 'eq', column: 'agent_id', schema: Uuid },
      warehouseId: { kind: 'eq', column: 'warehouse_id', schema: Uuid },
    },
    access: { read: orderReadScope, update: orderUpdateScope },
    hooks: {
      beforeUpdate: async (_tx, before, patch, user) => {
        const state: OrderState = { status: before.status as OrderStatus, version: before.version as number };
        return planOrderPatch(user.role, state, patch, new Date());
      },
      // Items carry the warehouse too, so a picker's shape needs no join.
      afterUpdate: async (tx, before, after) => {
        if (before.warehouse_id !== after.warehouse_id) {
          await tx.query('update orders.order_items set warehouse_id = $2 where order_id = $1', [after.id, after.warehouse_id]);
        }
        const cancelled = after.status === 'cancelled' && before.status !== 'cancelled';
        await writeEvent(tx, {
          type: cancelled ? 'order.cancelled' : 'order.updated',
          payload: { orderID: after.id, status: after.status, ...(cancelled ? { reason: after.status_reason } : {}) },
        });
      },
    },
  });

  app.post('', {
    schema: {
      tags: ['orders'],
      summary: 'Place an order; prices and totals come from the server',
      security: [{ bearerAuth: [] }],
      body: CreateOrderBody,
      response: { 201: OrderDetail, ...errors },
    },
    handler: async (request, reply) => {
      const user = requireUser(request);
      const detail = await db.transaction(async (tx) => {
        const orderID = await createOrder(tx, user, request.body as CreateOrderBody);
        const row = await store.get(tx, orderID, allRows);
        return store.withChildren(tx, row!);
      });
      return reply.code(201).send(store.present(detail, user));
    },
  });
  return store;
}
