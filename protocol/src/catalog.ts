import { Type } from 'typebox';
import { Currency, MoneyMinor, Timestamp, Uuid } from './common.ts';

const Slug = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 100 });
const Sku = Type.String({ minLength: 1, maxLength: 64 });
const Gtin = Type.String({ pattern: '^[0-9]{8,14}$', description: 'GTIN / EAN / UPC' });
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 });

export const Category = Type.Object({
  id: Uuid,
  parentId: Type.Union([Uuid, Type.Null()]),
  name: Type.String(),
  slug: Type.String(),
  sortOrder: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreateCategoryBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    parentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    slug: Slug,
    sortOrder: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

export const PatchCategoryBody = Type.Object(
  {
    parentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    slug: Type.Optional(Slug),
    sortOrder: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Product = Type.Object({
  id: Uuid,
  sku: Type.String(),
  barcode: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  description: Type.String(),
  categoryId: Type.Union([Uuid, Type.Null()]),
  tags: Type.Array(Type.String()),
  active: Type.Boolean(),
  priceMinor: MoneyMinor,
  costMinor: Type.Optional(Type.Union([MoneyMinor, Type.Null()], { description: 'Admins only' })),
  currency: Type.String(),
  unit: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreateProductBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    sku: Sku,
    barcode: Type.Optional(Type.Union([Gtin, Type.Null()])),
    name: Type.String({ minLength: 1, maxLength: 300 }),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    categoryId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    tags: Type.Optional(Tags),
    active: Type.Optional(Type.Boolean()),
    priceMinor: MoneyMinor,
    costMinor: Type.Optional(Type.Union([MoneyMinor, Type.Null()])),
    currency: Type.Optional(Currency),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
  },
  { additionalProperties: false },
);

export const PatchProductBody = Type.Object(
  {
    sku: Type.Optional(Sku),
    barcode: Type.Optional(Type.Union([Gtin, Type.Null()])),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    categoryId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    tags: Type.Optional(Tags),
    active: Type.Optional(Type.Boolean()),
    priceMinor: Type.Optional(MoneyMinor),
    costMinor: Type.Optional(Type.Union([MoneyMinor, Type.Null()])),
    currency: Type.Optional(Currency),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
