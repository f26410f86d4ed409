import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.ts';

const NullableUuid = Type.Union([Uuid, Type.Null()]);
const Code = Type.String({ pattern: '^[A-Z0-9-]{2,16}$', description: 'Upper-case letters, digits and dashes' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Email = Type.String({ format: 'email', maxLength: 320 });
const Phone = Type.String({ pattern: '^\\+?[0-9][0-9 ().-]{2,39}$' });
const BasisPoints = Type.Integer({ minimum: 0, maximum: 10_000, description: '1/100 of a percent' });
const CalendarDate = Type.String({ format: 'date', examples: ['2025-03-01'] });
const Notes = Type.String({ maxLength: 10_000 });

export const Territory = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  region: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Territory = Static<typeof Territory>;

export const CreateTerritoryBody = Type.Object(
  { id: Type.Optional(Uuid), code: Code, name: Name, region: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export type CreateTerritoryBody = Static<typeof CreateTerritoryBody>;

export const PatchTerritoryBody = Type.Object(
  { code: Type.Optional(Code), name: Type.Optional(Name), region: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchTerritoryBody = Static<typeof PatchTerritoryBody>;

export const Agent = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  territoryId: Uuid,
  warehouseId: Type.Union([Uuid, Type.Null()], { description: "Default fulfilment warehouse for this agent's orders" }),
  commissionRateBp: Type.Integer(),
  active: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Agent = Static<typeof Agent>;

const agentFields = {
  email: Type.Optional(Type.Union([Email, Type.Null()])),
  phone: Type.Optional(Type.Union([Phone, Type.Null()])),
  warehouseId: Type.Optional(NullableUuid),
  commissionRateBp: Type.Optional(BasisPoints),
  active: Type.Optional(Type.Boolean()),
};

export const CreateAgentBody = Type.Object(
  { id: Type.Optional(Uuid), code: Code, name: Name, territoryId: Uuid, ...agentFields },
  { additionalProperties: false },
);
export type CreateAgentBody = Static<typeof CreateAgentBody>;

export const PatchAgentBody = Type.Object(
  { code: Type.Optional(Code), name: Type.Optional(Name), territoryId: Type.Optional(Uuid), ...agentFields },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchAgentBody = Static<typeof PatchAgentBody>;

export const VisitStatus = Type.Union([Type.Literal('planned'), Type.Literal('visited'), Type.Literal('skipped')]);
export type VisitStatus = Static<typeof VisitStatus>;

/** A planned visit of an agent to a customer on a day. */
export const AgentRoute = Type.Object({
  id: Uuid,
  agentId: Uuid,
  territoryId: Type.String({ format: 'uuid', description: "The agent's territory, set by the server" }),
  customerId: Uuid,
  plannedFor: CalendarDate,
  sequence: Type.Integer(),
  status: VisitStatus,
  visitedAt: Type.Union([Timestamp, Type.Null()]),
  notes: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AgentRoute = Static<typeof AgentRoute>;

const Sequence = Type.Integer({ minimum: 0, maximum: 100_000 });

export const CreateAgentRouteBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    agentId: Uuid,
    customerId: Type.String({ format: 'uuid', description: "Must be in the agent's territory" }),
    plannedFor: CalendarDate,
    sequence: Type.Optional(Sequence),
    notes: Type.Optional(Notes),
  },
  { additionalProperties: false },
);
export type CreateAgentRouteBody = Static<typeof CreateAgentRouteBody>;

/** Agents on their own routes may send status, visitedAt and notes only. */
export const PatchAgentRouteBody = Type.Object(
  {
    plannedFor: Type.Optional(CalendarDate),
    sequence: Type.Optional(Sequence),
    status: Type.Optional(VisitStatus),
    visitedAt: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'Defaults to now when status becomes visited' })),
    notes: Type.Optional(Notes),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchAgentRouteBody = Static<typeof PatchAgentRouteBody>;

export const CommissionStatus = Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('paid'), Type.Literal('void')]);
export type CommissionStatus = Static<typeof CommissionStatus>;

export const Commission = Type.Object({
  id: Uuid,
  agentId: Uuid,
  orderId: Uuid,
  amountMinor: Type.Integer(),
  currency: Type.String(),
  rateBp: Type.Integer(),
  status: CommissionStatus,
  earnedAt: Timestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Commission = Static<typeof Commission>;

/** pending → approved | void; approved → paid | void; paid and void are final. */
export const PatchCommissionBody = Type.Object({ status: CommissionStatus }, { additionalProperties: false, minProperties: 1 });
export type PatchCommissionBody = Static<typeof PatchCommissionBody>;
