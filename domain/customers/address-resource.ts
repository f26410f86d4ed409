import type { Executor } from '@niaga/db';
import { CreateCustomerAddressBody, CustomerAddress, ErrorBody, PatchCustomerAddressBody } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { toSnake } from '../shared/case.ts';
import { DomainError } from '../shared/errors.ts';
import { ensure, registerResource, type Values } from '../shared/resource.ts';
import { requireUser } from '../shared/user.ts';
import { customerRows, uuidFilter } from './access.ts';
import { clearDefaultAddress, lockCustomer } from './address-store.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

function toColumns(body: Record<string, unknown>): Values {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined).map(([key, value]) => [toSnake(key), value]));
}

/**
 * Addresses, flat under /addresses. Readers and writers: admins, the agent of the customer's
 * territory, the customer themself. `territory_id` always comes from the customer, never the client.
 */
export function registerAddresses(app: FastifyInstance, db: Executor): void {
  const scope = customerRows('customer_id');
  const store = registerResource(app, db, '/addresses', {
    name: 'address',
    table: 'customers.addresses',
    tag: 'customers',
    entity: CustomerAddress,
    patchBody: PatchCustomerAddressBody,
    deletable: true,
    filters: { customerId: uuidFilter('customer_id') },
    access: { read: scope, update: (user) => scope(user), remove: scope },
    hooks: {
      beforeUpdate: async (tx, before, patch) => {
        if (patch.is_default === true && before.is_default !== true) await clearDefaultAddress(tx, String(before.customer_id), String(before.id));
        return patch;
      },
    },
  });

  // Written by hand rather than by registerResource: the previous default must be cleared inside
  // the same transaction before the insert, or the one-default unique index refuses it.
  app.post('/addresses', {
    schema: {
      tags: ['customers'],
      summary: 'Add an address to a customer',
      security: [{ bearerAuth: [] }],
      body: CreateCustomerAddressBody,
      response: { 201: CustomerAddress, ...errors },
    },
    handler: async (request, reply) => {
      const user = requireUser(request, ['admin', 'agent', 'customer']);
      const values = toColumns(request.body as Record<string, unknown>);
      const customerID = String(values.customer_id);
      if (user.role === 'customer') ensure(customerID === user.customer_id, 'Customers may add addresses to themselves only');
      if (user.role === 'agent') ensure(user.territory_id !== null, 'Your token carries no territory');
      const row = await db.transaction(async (tx) => {
        const customer = await lockCustomer(tx, customerID);
        // For agents an unknown customer and another territory's customer look the same.
        if (user.role === 'agent') ensure(customer?.territory_id === user.territory_id, 'Agents may add addresses only to customers in their territory');
        if (!customer) throw new DomainError('REFERENCE_NOT_FOUND', 'No customer has this customerId', { path: '/customerId' });
        if (values.is_default === true) await clearDefaultAddress(tx, customerID);
        return store.insert(tx, { ...values, territory_id: customer.territory_id });
      });
      return reply.code(201).send(store.present(row, user));
    },
  });
}
