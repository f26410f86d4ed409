import type { Executor } from '@niaga/db';
import { Bin, CreateBinBody, CreateWarehouseBody, PatchBinBody, PatchWarehouseBody, Uuid, Warehouse } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { registerResource, rolesFor } from '../shared/resource.ts';
import { adminOrOwnWarehouse } from './access.ts';

/** Warehouses are visible to staff (agents need them for availability); only admins change them. */
export function registerWarehouses(app: FastifyInstance, db: Executor): void {
  registerResource(app, db, '/warehouses', {
    name: 'warehouse',
    table: 'inventory.warehouses',
    tag: 'inventory',
    entity: Warehouse,
    createBody: CreateWarehouseBody,
    patchBody: PatchWarehouseBody,
    sortColumn: 'code',
    filters: {
      q: { kind: 'search', columns: ['code', 'name'] },
      active: { kind: 'eq', column: 'active', schema: Type.Boolean() },
    },
    access: { read: rolesFor('admin', 'agent', 'warehouse') },
  });

  registerResource(app, db, '/bins', {
    name: 'bin',
    table: 'inventory.bins',
    tag: 'inventory',
    entity: Bin,
    createBody: CreateBinBody,
    patchBody: PatchBinBody,
    deletable: true,
    sortColumn: 'code',
    filters: {
      warehouseId: { kind: 'eq', column: 'warehouse_id', schema: Uuid },
      zone: { kind: 'eq', column: 'zone', schema: Type.String({ maxLength: 50 }) },
    },
    access: { read: (user) => adminOrOwnWarehouse(user) },
  });
}
