import type { Executor, Queryable } from '@niaga/db';
import { CreateCustomerBody, Customer, customerInternalColumns, PatchCustomerBody } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { findTerritory } from '../agents/territory-lookup.ts';
import { DomainError } from '../shared/errors.ts';
import { allRows, ensure, registerResource } from '../shared/resource.ts';
import { customerRows, uuidFilter } from './access.ts';
import { moveAddressesToTerritory } from './address-store.ts';

/** What a shopper may change on their own record. */
const selfServiceFields = new Set(['name', 'email', 'phone']);

async function requireTerritory(db: Queryable, territoryID: string): Promise<void> {
  if (!(await findTerritory(db, territoryID))) {
    throw new DomainError('REFERENCE_NOT_FOUND', 'No territory has this territoryId', { path: '/territoryId' });
  }
}

export function registerCustomers(app: FastifyInstance, db: Executor): void {
  // Path '' so the list is GET <prefix> and one customer GET <prefix>/:id.
  registerResource(app, db, '', {
    name: 'customer',
    table: 'customers.customers',
    tag: 'customers',
    entity: Customer,
    createBody: CreateCustomerBody,
    patchBody: PatchCustomerBody,
    // Addresses and wishlists go with the customer (on delete cascade).
    deletable: true,
    sortColumn: 'name',
    filters: {
      q: { kind: 'search', columns: ['name', 'code', 'email', 'phone'] },
      territoryId: uuidFilter('territory_id'),
      active: { kind: 'eq', column: 'active', schema: Type.Boolean() },
    },
    access: {
      read: customerRows('id'),
      hiddenColumns: (user) => (user.role === 'customer' ? customerInternalColumns : []),
      create: async (user, values) => {
        // Agents add customers in the field, often offline, always into their own territory.
        if (user.role === 'agent' && user.territory_id) {
          ensure(values.territory_id === undefined || values.territory_id === user.territory_id, 'Agents add customers to their own territory only');
          return { ...values, territory_id: user.territory_id, created_by: user.sub };
        }
        ensure(user.role === 'admin', 'Only admins and agents may add customers');
        if (typeof values.territory_id === 'string') await requireTerritory(db, values.territory_id);
        return { ...values, created_by: user.sub };
      },
      update: (user, patch) => {
        if (user.role === 'admin') return allRows;
        if (user.role === 'agent' && user.territory_id) {
          ensure(!('territory_id' in patch) || patch.territory_id === user.territory_id, 'Agents may not move a customer to another territory');
          return { territory_id: user.territory_id };
        }
        if (user.role === 'customer' && user.customer_id) {
          ensure(Object.keys(patch).every((column) => selfServiceFields.has(column)), 'Customers may change only their name, email and phone');
          return { id: user.customer_id };
        }
        return 'deny';
      },
    },
    hooks: {
      beforeUpdate: async (tx, before, patch) => {
        if (typeof patch.territory_id === 'string' && patch.territory_id !== before.territory_id) await requireTerritory(tx, patch.territory_id);
        return patch;
      },
      // Addresses carry the territory so an agent's shape needs no join; they move with the customer.
      afterUpdate: async (tx, before, after) => {
        if (before.territory_id !== after.territory_id) await moveAddressesToTerritory(tx, String(after.id), (after.territory_id as string | null) ?? null);
      },
    },
  });
}
