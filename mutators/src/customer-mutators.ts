/** Customers (agents add shops in their territory), their addresses, and shoppers' wishlists. */
import { Uuid } from '@niaga/protocol';
import { Type } from 'typebox';
import { defineMutator, type Actor } from './define-mutator.ts';
import { requireRow } from './guards.ts';
import type { Row } from './mutation-tx.ts';
import { reject } from './outcome.ts';

const Text = (maxLength: number) => Type.String({ maxLength });

export const upsertCustomerArgs = Type.Object(
  {
    customerID: Uuid,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' }), Type.Null()])),
    phone: Type.Optional(Type.Union([Text(50), Type.Null()])),
    notes: Type.Optional(Text(2000)),
    /** Admins only: agents' customers are always in their own territory. */
    territoryID: Type.Optional(Type.Union([Uuid, Type.Null()])),
  },
  { additionalProperties: false },
);

/** Whether the actor may change this customer (an existing row, or a new one in `territory`). */
function mayEditCustomer(actor: Actor, customer: Row | undefined): boolean {
  if (actor.role === 'admin') return true;
  if (actor.role === 'agent') return !customer || (actor.territory_id !== null && customer.territory_id === actor.territory_id);
  if (actor.role === 'customer') return customer?.id === actor.customer_id;
  return false;
}

export const upsertCustomer = defineMutator('customer.upsert', upsertCustomerArgs, async (ctx, args) => {
  const { actor, tx } = ctx;
  if (actor.role === 'warehouse') reject('FORBIDDEN', 'Pickers do not edit customers');
  if (actor.role === 'agent' && !actor.territory_id) reject('FORBIDDEN', 'Your account has no territory; ask an admin');
  if (args.territoryID !== undefined && actor.role !== 'admin') reject('FORBIDDEN', 'Only admins move customers between territories');
  // The notes are the business's own, which the shopper does not see (as through REST).
  if (actor.role === 'customer' && args.notes !== undefined) reject('FORBIDDEN', 'Shoppers may change only their name, email and phone');
  // Checked on the server only: a device need not sync the territories.
  if (args.territoryID && tx.location === 'server') await requireRow(tx, 'agents.territories', args.territoryID, 'Territory');
  const existing = await tx.get('customers.customers', args.customerID);
  if (!mayEditCustomer(actor, existing)) reject('NOT_FOUND', `Customer ${args.customerID} does not exist`);
  const fields = {
    name: args.name,
    ...(args.email === undefined ? {} : { email: args.email }),
    ...(args.phone === undefined ? {} : { phone: args.phone }),
    ...(args.notes === undefined ? {} : { notes: args.notes }),
    ...(args.territoryID === undefined ? {} : { territory_id: args.territoryID }),
    updated_at: ctx.now,
  };
  if (existing) {
    await tx.update('customers.customers', args.customerID, fields);
    // Addresses carry the territory (an agent's shape filters on it): they move with the customer.
    if (args.territoryID !== undefined && args.territoryID !== existing.territory_id) {
      for (const address of await tx.list('customers.addresses', { customer_id: args.customerID })) {
        await tx.update('customers.addresses', String(address.id), { territory_id: args.territoryID, updated_at: ctx.now });
      }
    }
    return;
  }
  if (actor.role === 'customer') reject('FORBIDDEN', 'Shoppers are registered through sign-up');
  await tx.insert('customers.customers', {
    id: args.customerID,
    code: null,
    email: null,
    phone: null,
    notes: '',
    territory_id: actor.role === 'agent' ? actor.territory_id : null,
    credit_limit_minor: 0,
    currency: 'USD',
    active: true,
    created_by: actor.sub,
    created_at: ctx.now,
    ...fields,
  });
});

export const upsertAddressArgs = Type.Object(
  {
    addressID: Uuid,
    customerID: Uuid,
    label: Type.Optional(Text(100)),
    line1: Type.String({ minLength: 1, maxLength: 200 }),
    line2: Type.Optional(Text(200)),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    region: Type.Optional(Text(100)),
    postalCode: Type.Optional(Text(20)),
    country: Type.String({ pattern: '^[A-Z]{2}$' }),
    isDefault: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const upsertAddress = defineMutator('address.upsert', upsertAddressArgs, async (ctx, args) => {
  const { actor, tx } = ctx;
  if (actor.role === 'warehouse') reject('FORBIDDEN', 'Pickers do not edit addresses');
  const customer = await tx.get('customers.customers', args.customerID);
  if (!customer || !mayEditCustomer(actor, customer)) return reject('NOT_FOUND', `Customer ${args.customerID} does not exist`);
  const existing = await tx.get('customers.addresses', args.addressID);
  if (existing && existing.customer_id !== args.customerID) reject('INVALID_ARGS', `Address ${args.addressID} belongs to another customer`);
  if (args.isDefault) {
    // One default per customer: the others stop being it, in the same transaction.
    for (const other of await tx.list('customers.addresses', { customer_id: args.customerID, is_default: true })) {
      if (other.id !== args.addressID) await tx.update('customers.addresses', String(other.id), { is_default: false, updated_at: ctx.now });
    }
  }
  const fields = {
    territory_id: customer.territory_id ?? null,
    line1: args.line1,
    city: args.city,
    country: args.country,
    ...(args.label === undefined ? {} : { label: args.label }),
    ...(args.line2 === undefined ? {} : { line2: args.line2 }),
    ...(args.region === undefined ? {} : { region: args.region }),
    ...(args.postalCode === undefined ? {} : { postal_code: args.postalCode }),
    ...(args.isDefault === undefined ? {} : { is_default: args.isDefault }),
    updated_at: ctx.now,
  };
  if (existing) await tx.update('customers.addresses', args.addressID, fields);
  else {
    await tx.insert('customers.addresses', {
      id: args.addressID,
      customer_id: args.customerID,
      label: '',
      line2: '',
      region: '',
      postal_code: '',
      latitude: null,
      longitude: null,
      is_default: false,
      created_at: ctx.now,
      ...fields,
    });
  }
});

export const toggleWishlistArgs = Type.Object({ wishlistID: Uuid, productID: Uuid }, { additionalProperties: false });

export const toggleWishlist = defineMutator('wishlist.toggle', toggleWishlistArgs, async (ctx, args) => {
  const { actor, tx } = ctx;
  if (actor.role !== 'customer' || !actor.customer_id) return reject('FORBIDDEN', 'Only shoppers have a wishlist');
  const [existing] = await tx.list('customers.wishlists', { customer_id: actor.customer_id, product_id: args.productID });
  if (existing) {
    await tx.delete('customers.wishlists', String(existing.id));
    return;
  }
  const product = await tx.get('catalog.products', args.productID);
  if (!product) reject('NOT_FOUND', `Product ${args.productID} does not exist`);
  await tx.insert('customers.wishlists', { id: args.wishlistID, customer_id: actor.customer_id, product_id: args.productID, created_at: ctx.now, updated_at: ctx.now });
});
