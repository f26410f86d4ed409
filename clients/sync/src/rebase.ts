/**
 * Applies one aligned commit to the store in one local transaction, with the pending mutations'
 * optimistic effects undone around it and replayed on top (see SPEC.md, "Rebase").
 */
import type { LocalRow, PendingMutation, StoreTx } from './local-store.ts';
import { applyUndo } from './recording-tx.ts';
import type { Commit } from './transaction-aligner.ts';
import { runOnDevice, type DeviceContext } from './device-mutation.ts';

export const CLIENTS_TABLE = 'sync.clients';

export interface RebaseContext extends DeviceContext {
  readonly clientID: string;
  /** The local table a shape's rows live in. */
  tableOf(shape: string): string;
}

export interface RebaseResult {
  /** Mutations the server confirmed (their effects now come from the server). */
  readonly confirmed: number;
  /** Mutations still pending after the commit. */
  readonly pending: number;
  /** Pending mutations the device could not replay on the new state (the server will decide). */
  readonly refusedOnReplay: readonly number[];
}

export const metaKeys = {
  cursor: (shape: string) => `shape:${shape}`,
  lsn: 'sync:lsn',
  lastSyncedAt: 'sync:lastSyncedAt',
} as const;

export async function applyCommit(tx: StoreTx, commit: Commit, context: RebaseContext, now: string): Promise<RebaseResult> {
  const pending = await tx.listPending();
  for (let index = pending.length - 1; index >= 0; index--) await applyUndo(tx, pending[index]!.undo);

  for (const shape of commit.refetched) await tx.clear(context.tableOf(shape));
  await applyChanges(tx, commit, context);
  for (const [shape, cursor] of commit.cursors) await tx.setMeta(metaKeys.cursor(shape), cursor);
  await tx.setMeta(metaKeys.lsn, commit.lsn.toString());
  if (commit.changes.length > 0 || commit.initial) await tx.setMeta(metaKeys.lastSyncedAt, now);

  if (pending.length === 0) return { confirmed: 0, pending: 0, refusedOnReplay: [] };
  const lastMutationID = Number((await tx.get(CLIENTS_TABLE, context.clientID))?.last_mutation_id ?? 0);
  await tx.deletePendingThrough(lastMutationID);
  const remaining = pending.filter((mutation) => mutation.id > lastMutationID);
  const refusedOnReplay = await replay(tx, remaining, context);
  return { confirmed: pending.length - remaining.length, pending: remaining.length, refusedOnReplay };
}

/** The last operation per row wins (a commit is one server state); puts go in bulk per table. */
async function applyChanges(tx: StoreTx, commit: Commit, context: RebaseContext): Promise<void> {
  const byTable = new Map<string, Map<string, LocalRow | null>>();
  for (const change of commit.changes) {
    const table = context.tableOf(change.shape);
    let rows = byTable.get(table);
    if (!rows) byTable.set(table, (rows = new Map<string, LocalRow | null>()));
    const id = String(change.row.id);
    rows.delete(id); // keep arrival order of the final operations
    rows.set(id, change.operation === 'delete' ? null : { ...change.row });
  }
  for (const [table, rows] of byTable) {
    const puts: LocalRow[] = [];
    for (const [id, row] of rows) {
      if (row) puts.push(row);
      else await tx.delete(table, id);
    }
    if (puts.length > 0) await tx.putMany(table, puts);
  }
}

async function replay(tx: StoreTx, mutations: readonly PendingMutation[], context: DeviceContext): Promise<number[]> {
  const refused: number[] = [];
  for (const mutation of mutations) {
    let undo: PendingMutation['undo'] = [];
    try {
      undo = await runOnDevice(tx, mutation, context);
    } catch {
      refused.push(mutation.id);
    }
    await tx.putPending({ ...mutation, undo });
  }
  return refused;
}
