import type { Executor } from '@niaga/db';
import { CreateWishlistItemBody, WishlistItem } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { findProductsForSale } from '../catalog/product-lookup.ts';
import { DomainError } from '../shared/errors.ts';
import { ensure, registerResource } from '../shared/resource.ts';
import { adminOrOwnCustomer, uuidFilter } from './access.ts';

/** A shopper's saved products; the same product twice is a 409 (wishlists_product_unique). */
export function registerWishlists(app: FastifyInstance, db: Executor): void {
  registerResource(app, db, '/wishlists', {
    name: 'wishlist item',
    table: 'customers.wishlists',
    tag: 'customers',
    entity: WishlistItem,
    createBody: CreateWishlistItemBody,
    deletable: true,
    filters: { customerId: uuidFilter('customer_id'), productId: uuidFilter('product_id') },
    access: {
      read: adminOrOwnCustomer,
      create: async (user, values) => {
        if (user.role === 'customer') ensure(values.customer_id === user.customer_id, 'Customers may add to their own wishlist only');
        else ensure(user.role === 'admin', 'Only the customer or an admin may add to a wishlist');
        const productID = String(values.product_id);
        const product = (await findProductsForSale(db, [productID])).get(productID);
        // Shoppers cannot see inactive products, so for them an inactive one does not exist.
        if (!product || (user.role === 'customer' && !product.active)) {
          throw new DomainError('REFERENCE_NOT_FOUND', 'No product for sale has this productId', { path: '/productId' });
        }
        return values;
      },
      remove: adminOrOwnCustomer,
    },
  });
}
