/**
 * The outcomes inbox: what the server decided differently for this user's mutations (rejected,
 * backordered, adjusted). The server writes them to `sync.mutation_results`, which syncs to the
 * user only, in the same transaction as the mutation's (absent) effects.
 */
import type { LocalRow, StoreTx } from './local-store.ts';

export const RESULTS_TABLE = 'sync.mutation_results';

export interface MutationOutcomeRecord {
  readonly id: string;
  readonly clientID: string;
  readonly mutationID: number;
  readonly name: string;
  readonly status: 'rejected' | 'backordered' | 'adjusted';
  readonly code: string | null;
  readonly message: string;
  readonly details: unknown;
  readonly createdAt: string;
}

export function outcomeOf(row: LocalRow): MutationOutcomeRecord | undefined {
  const status = row.status;
  if (status !== 'rejected' && status !== 'backordered' && status !== 'adjusted') return undefined;
  return {
    id: String(row.id),
    clientID: String(row.client_id),
    mutationID: Number(row.mutation_id),
    name: String(row.name),
    status,
    code: typeof row.code === 'string' ? row.code : null,
    message: typeof row.message === 'string' ? row.message : '',
    details: row.details ?? null,
    createdAt: String(row.created_at),
  };
}

/** The inbox, newest first (an empty list before the table has synced). */
export async function readOutcomes(tx: StoreTx): Promise<MutationOutcomeRecord[]> {
  // In a savepoint: on PGlite a failed statement (no such table yet) would spoil the transaction.
  const rows = await tx.attempt(() => tx.list(RESULTS_TABLE, {}, { orderBy: ['created_at', 'desc'] })).catch(() => []);
  return rows.map(outcomeOf).filter((outcome) => outcome !== undefined);
}
