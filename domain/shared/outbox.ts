/**
 * The transactional outbox: call writeEvent inside the transaction of the change that caused the
 * event, so the event exists if and only if the change committed. The sync server's relay
 * publishes it afterwards (NATS JetStream, or the in-process bus in embedded mode).
 */
import type { Queryable } from '@niaga/db';
import type { EventType } from '@niaga/protocol';

export interface NewEvent {
  readonly type: EventType;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The device client and mutation that caused it, when one did. */
  readonly clientID?: string;
  readonly mutationID?: number;
}

/** The outbox insert of one event, its placeholders numbered from `offset` + 1 (to join other writes in one statement). */
export function eventInsert(event: NewEvent, offset = 0): { text: string; values: unknown[] } {
  return {
    text: `insert into events.outbox (type, payload, client_id, mutation_id) values ($${offset + 1}, $${offset + 2}, $${offset + 3}, $${offset + 4})`,
    values: [event.type, JSON.stringify(event.payload), event.clientID ?? null, event.mutationID ?? null],
  };
}

/** Writes one event into the outbox inside `tx`; returns its id. */
export async function writeEvent(tx: Queryable, event: NewEvent): Promise<string> {
  const { text, values } = eventInsert(event);
  const { rows } = await tx.query<{ id: string }>(`${text} returning id`, values, { prepare: true });
  return rows[0]!.id;
}
