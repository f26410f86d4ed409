/**
 * The transactional outbox. Domain code and the push endpoint call writeEvent inside the transaction
 * of the change that caused the event, so the event exists if and only if the change committed.
 * The relay (outbox-relay.ts) publishes it afterwards; an insert trigger wakes it (NOTIFY on commit).
 */
import type { EventEnvelope, EventType } from '@niaga/protocol';

export type { EventEnvelope, EventType } from '@niaga/protocol';
// Domain code writes events too, so the one function lives with the domain's shared code.
export { eventInsert, writeEvent, type NewEvent } from '@niaga/domain/shared';

/** Channel the outbox insert trigger notifies (migration 0020). */
export const outboxChannel = 'niaga_outbox';

export interface OutboxRow {
  id: string;
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  client_id: string | null;
  mutation_id: number | null;
  created_at: Date | string;
}

export const outboxColumns = 'id, seq, type, payload, client_id, mutation_id, created_at';

export function envelopeOf(row: OutboxRow): EventEnvelope {
  return {
    id: row.id,
    // The outbox column is text; writeEvent only takes EventType, and consumers filter by type.
    type: row.type as EventType,
    occurredAt: new Date(row.created_at).toISOString(),
    ...(row.client_id === null ? {} : { clientId: row.client_id }),
    ...(row.mutation_id === null ? {} : { mutationId: Number(row.mutation_id) }),
    payload: row.payload,
  };
}
