import { Type, type Static } from 'typebox';
import { Currency, MoneyMinor, Timestamp, Uuid } from './common.ts';

const NullableUuid = Type.Union([Uuid, Type.Null()]);
const CustomerCode = Type.String({ pattern: '^[A-Z0-9-]{2,20}$', description: 'Upper-case letters, digits and dashes' });
const CustomerName = Type.String({ minLength: 1, maxLength: 200 });
const Email = Type.String({ format: 'email', maxLength: 320 });
const Phone = Type.String({ pattern: '^\\+?[0-9][0-9 ().-]{2,39}$', description: 'Digits with an optional leading +, spaces, dots, dashes, parentheses' });
const Notes = Type.String({ maxLength: 10_000 });
const CountryCode = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' });
const Latitude = Type.Number({ minimum: -90, maximum: 90 });
const Longitude = Type.Number({ minimum: -180, maximum: 180 });

export const Customer = Type.Object({
  id: Uuid,
  code: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  territoryId: NullableUuid,
  creditLimitMinor: MoneyMinor,
  currency: Type.String(),
  notes: Type.Optional(Type.String({ description: 'Internal; not shown to the customer themself' })),
  active: Type.Boolean(),
  createdBy: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Internal; not shown to the customer themself' })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Customer = Static<typeof Customer>;

export const CreateCustomerBody = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid', description: 'Set by devices that create customers offline; a replay is a 409' })),
    code: Type.Optional(Type.Union([CustomerCode, Type.Null()])),
    name: CustomerName,
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    territoryId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Agents: omit, or send their own territory' })),
    creditLimitMinor: Type.Optional(MoneyMinor),
    currency: Type.Optional(Currency),
    notes: Type.Optional(Notes),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateCustomerBody = Static<typeof CreateCustomerBody>;

/** Customers patching themselves may send name, email and phone only. */
export const PatchCustomerBody = Type.Object(
  {
    code: Type.Optional(Type.Union([CustomerCode, Type.Null()])),
    name: Type.Optional(CustomerName),
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    territoryId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    creditLimitMinor: Type.Optional(MoneyMinor),
    currency: Type.Optional(Currency),
    notes: Type.Optional(Notes),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchCustomerBody = Static<typeof PatchCustomerBody>;

export const CustomerAddress = Type.Object({
  id: Uuid,
  customerId: Uuid,
  territoryId: Type.Union([Uuid, Type.Null()], { description: 'Copied from the customer by the server' }),
  label: Type.String(),
  line1: Type.String(),
  line2: Type.String(),
  city: Type.String(),
  region: Type.String(),
  postalCode: Type.String(),
  country: Type.String(),
  latitude: Type.Union([Type.Number(), Type.Null()]),
  longitude: Type.Union([Type.Number(), Type.Null()]),
  isDefault: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type CustomerAddress = Static<typeof CustomerAddress>;

const addressFields = {
  label: Type.Optional(Type.String({ maxLength: 100 })),
  line2: Type.Optional(Type.String({ maxLength: 300 })),
  region: Type.Optional(Type.String({ maxLength: 100 })),
  postalCode: Type.Optional(Type.String({ maxLength: 20 })),
  latitude: Type.Optional(Type.Union([Latitude, Type.Null()])),
  longitude: Type.Optional(Type.Union([Longitude, Type.Null()])),
  isDefault: Type.Optional(Type.Boolean({ description: 'true makes this the default and clears the previous one' })),
};

export const CreateCustomerAddressBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    customerId: Uuid,
    line1: Type.String({ minLength: 1, maxLength: 300 }),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    country: CountryCode,
    ...addressFields,
  },
  { additionalProperties: false },
);
export type CreateCustomerAddressBody = Static<typeof CreateCustomerAddressBody>;

export const PatchCustomerAddressBody = Type.Object(
  {
    line1: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    city: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    country: Type.Optional(CountryCode),
    ...addressFields,
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchCustomerAddressBody = Static<typeof PatchCustomerAddressBody>;

export const WishlistItem = Type.Object({
  id: Uuid,
  customerId: Uuid,
  productId: Uuid,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type WishlistItem = Static<typeof WishlistItem>;

export const CreateWishlistItemBody = Type.Object(
  { id: Type.Optional(Uuid), customerId: Uuid, productId: Uuid },
  { additionalProperties: false },
);
export type CreateWishlistItemBody = Static<typeof CreateWishlistItemBody>;
