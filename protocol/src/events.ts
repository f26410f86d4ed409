/**
 * Domain events: what the outbox relay publishes (NATS subject `niaga.<type>`, JetStream message id
 * = the event id) and what consumers receive. The envelope is the same on NATS and on the embedded
 * in-process bus.
 */
import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.ts';

/** Every event type, in one list so a subject or a filter can be checked against it. */
export const eventTypes = [
  'order.created',
  'order.updated',
  'order.cancelled',
  'order.confirmed',
  'order.backordered',
  'inventory.updated',
  'inventory.reserved',
  'inventory.released',
  'inventory.insufficient',
  'transfer.created',
  'transfer.shipped',
  'transfer.received',
  'stock.counted',
  'product.created',
  'product.updated',
  'product.deleted',
  'user.registered',
  'user.login',
  'payment.processed',
  'payment.failed',
] as const;

export type EventType = (typeof eventTypes)[number];
export const EventType = Type.Unsafe<EventType>(Type.Union(eventTypes.map((type) => Type.Literal(type))));

export function isEventType(value: string): value is EventType {
  return (eventTypes as readonly string[]).includes(value);
}

export const EventEnvelope = Type.Object(
  {
    id: Uuid,
    type: EventType,
    occurredAt: Timestamp,
    /** The device client whose mutation caused the event, when one did. */
    clientId: Type.Optional(Type.String()),
    mutationId: Type.Optional(Type.Integer({ minimum: 0 })),
    payload: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'EventEnvelope' },
);
export type EventEnvelope = Static<typeof EventEnvelope>;
