import { Type, type Static } from 'typebox';
import { Uuid } from './common.ts';

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('agent'), Type.Literal('warehouse'), Type.Literal('customer')]);
export type Role = Static<typeof Role>;
export const roles: readonly Role[] = ['admin', 'agent', 'warehouse', 'customer'];

const NullableUuid = Type.Union([Uuid, Type.Null()]);

/** The claims every access token carries; shape rules and routes filter on the scope claims. */
export const AccessClaims = Type.Object({
  sub: Uuid,
  role: Role,
  sid: Uuid,
  warehouse_id: NullableUuid,
  territory_id: NullableUuid,
  agent_id: NullableUuid,
  customer_id: NullableUuid,
});
export type AccessClaims = Static<typeof AccessClaims>;

export const AuthUser = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  role: Role,
  warehouseId: NullableUuid,
  territoryId: NullableUuid,
  agentId: NullableUuid,
  customerId: NullableUuid,
});
export type AuthUser = Static<typeof AuthUser>;

export const LoginRequest = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    deviceName: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  accessTokenExpiresAt: Type.String({ format: 'date-time' }),
  refreshTokenExpiresAt: Type.String({ format: 'date-time' }),
});

export const LoginResponse = Type.Intersect([TokenPair, Type.Object({ user: AuthUser })]);
export type LoginResponse = Static<typeof LoginResponse>;

export const RefreshRequest = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });
export type RefreshRequest = Static<typeof RefreshRequest>;

export const LogoutRequest = Type.Object(
  { refreshToken: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) },
  { additionalProperties: false },
);
export type LogoutRequest = Static<typeof LogoutRequest>;

/** A device's login as an admin sees it: its refresh tokens rotate within it; revoking it ends them all. */
export const DeviceSession = Type.Object({
  id: Uuid,
  userId: Uuid,
  deviceName: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  signedInAt: Type.String({ format: 'date-time' }),
  lastRefreshedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedReason: Type.Union([Type.Literal('logout'), Type.Literal('reuse'), Type.Literal('password'), Type.Literal('disabled'), Type.Literal('admin'), Type.Null()]),
});
export type DeviceSession = Static<typeof DeviceSession>;

export const DeviceSessionQuery = Type.Object({ userId: Uuid }, { additionalProperties: false });
export type DeviceSessionQuery = Static<typeof DeviceSessionQuery>;

/** A user as an admin sees it (never the password hash). */
export const UserEntity = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  role: Role,
  warehouseId: NullableUuid,
  territoryId: NullableUuid,
  agentId: NullableUuid,
  customerId: NullableUuid,
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const userScopes = {
  warehouseId: Type.Optional(NullableUuid),
  territoryId: Type.Optional(NullableUuid),
  agentId: Type.Optional(NullableUuid),
  customerId: Type.Optional(NullableUuid),
};

export const CreateUserBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 320 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    role: Role,
    password: Type.String({ minLength: 8, maxLength: 1024 }),
    ...userScopes,
  },
  { additionalProperties: false },
);

export const PatchUserBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    role: Type.Optional(Role),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
    disabled: Type.Optional(Type.Boolean()),
    ...userScopes,
  },
  { additionalProperties: false, minProperties: 1 },
);
