import type { Executor } from '@niaga/db';
import { PickLine, PickList, PickListStatus, Uuid, type AccessClaims } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { allRows, registerResource, type Scope } from '../shared/resource.ts';

function pickListScope(user: AccessClaims): Scope | 'deny' {
  if (user.role === 'admin') return allRows;
  return user.role === 'warehouse' && user.warehouse_id ? { warehouse_id: user.warehouse_id } : 'deny';
}

/** Read-only here: pick lists are made and worked by mutators. Lines come in walking order. */
export function registerPickLists(app: FastifyInstance, db: Executor): void {
  registerResource(app, db, '/pick-lists', {
    name: 'pick list',
    table: 'orders.pick_lists',
    tag: 'orders',
    entity: PickList,
    children: {
      lines: { entity: PickLine, table: 'orders.pick_lines', parentColumn: 'pick_list_id', orderBy: ['bin_sort_order', 'bin_code'] },
    },
    filters: {
      status: { kind: 'eq', column: 'status', schema: PickListStatus },
      orderId: { kind: 'eq', column: 'order_id', schema: Uuid },
      warehouseId: { kind: 'eq', column: 'warehouse_id', schema: Uuid },
    },
    access: { read: pickListScope },
  });
}
