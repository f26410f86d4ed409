import type { Queryable } from '@niaga/db';
import { Category, CreateCategoryBody, CreateProductBody, PatchCategoryBody, PatchProductBody, Product, productCostColumns } from '@niaga/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { writeEvent } from '../shared/outbox.ts';
import type { DomainPluginOptions } from '../shared/plugin-options.ts';
import { allRows, registerResource, type Values } from '../shared/resource.ts';

const everyone = () => allRows;

async function recordPrice(tx: Queryable, product: Values, changedBy: string): Promise<void> {
  await tx.query(
    'insert into catalog.price_history (product_id, price_minor, currency, changed_by) values ($1, $2, $3, $4)',
    [product.id, product.price_minor, product.currency, changedBy],
  );
}

export const catalogPlugin: FastifyPluginAsync<DomainPluginOptions> = async (app, { db }) => {
  registerResource(app, db, '/categories', {
    name: 'category',
    table: 'catalog.categories',
    tag: 'catalog',
    entity: Category,
    createBody: CreateCategoryBody,
    patchBody: PatchCategoryBody,
    deletable: true,
    sortColumn: 'name',
    filters: { parentId: { kind: 'eq', column: 'parent_id', schema: Type.String({ format: 'uuid' }) } },
    access: { read: everyone },
  });

  registerResource(app, db, '/products', {
    name: 'product',
    table: 'catalog.products',
    tag: 'catalog',
    entity: Product,
    createBody: CreateProductBody,
    patchBody: PatchProductBody,
    deletable: true,
    sortColumn: 'sku',
    filters: {
      q: { kind: 'search', columns: ['name', 'sku', 'barcode'] },
      categoryId: { kind: 'eq', column: 'category_id', schema: Type.String({ format: 'uuid' }) },
      barcode: { kind: 'eq', column: 'barcode', schema: Type.String({ maxLength: 14 }) },
      active: { kind: 'eq', column: 'active', schema: Type.Boolean() },
      tag: { kind: 'contains', column: 'tags', schema: Type.String({ maxLength: 50 }) },
    },
    access: {
      // Shoppers see only what is on sale; only admins see cost.
      read: (user) => (user.role === 'customer' ? { active: true } : allRows),
      hiddenColumns: (user) => (user.role === 'admin' ? [] : productCostColumns),
    },
    hooks: {
      afterCreate: async (tx, product, user) => {
        await recordPrice(tx, product, user.sub);
        await writeEvent(tx, { type: 'product.created', payload: { productID: product.id, sku: product.sku, priceMinor: product.price_minor } });
      },
      afterUpdate: async (tx, before, after, user) => {
        if (before.price_minor !== after.price_minor || before.currency !== after.currency) await recordPrice(tx, after, user.sub);
        const changed = Object.keys(after).filter((column) => JSON.stringify(after[column]) !== JSON.stringify(before[column]));
        await writeEvent(tx, { type: 'product.updated', payload: { productID: after.id, changed } });
      },
      beforeDelete: async (tx, product) => {
        await writeEvent(tx, { type: 'product.deleted', payload: { productID: product.id, sku: product.sku } });
      },
    },
  });
};
