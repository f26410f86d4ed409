/**
 * The rebase as it was before its store calls were batched (rebase.ts until 2026-12-06): every
 * undo entry, commit delete, mutator read and write, and queue entry is its own store call, in
 * order. Kept as the reference the batched rebase must match exactly (batched-rebase tests).
 */
import type { LocalRow, PendingMutation, StoreTx } from '../local-store.ts';
import { applyUndo } from '../recording-tx.ts';
import type { Commit } from '../transaction-aligner.ts';
import { runOnDevice, type DeviceContext } from '../device-mutation.ts';
import { ChangedRows, planReplay, type ReplayPlan } from '../replay-plan.ts';
import { CLIENTS_TABLE, metaKeys, type RebaseContext, type RebaseResult } from '../rebase.ts';

export async function applyCommitSequentially(tx: StoreTx, commit: Commit, context: RebaseContext, now: string): Promise<RebaseResult> {
  const rows = finalRows(commit, context);
  const pending = await tx.listPending();
  const plan = pending.length === 0 ? undefined : await planFor(tx, pending, rows, commit, context);
  // Newest first: replayed ones (the highest ids), then the confirmed prefix; kept ones stay.
  if (plan) for (const mutation of [...plan.confirmed, ...plan.replayed].reverse()) await applyUndo(tx, mutation.undo);

  for (const shape of commit.refetched) await tx.clear(context.tableOf(shape));
  await applyRows(tx, rows);
  for (const [shape, cursor] of commit.cursors) await tx.setMeta(metaKeys.cursor(shape), cursor);
  await tx.setMeta(metaKeys.lsn, commit.lsn.toString());
  if (commit.changes.length > 0 || commit.initial) await tx.setMeta(metaKeys.lastSyncedAt, now);

  if (!plan) return { confirmed: 0, pending: 0, replayed: 0, refusedOnReplay: [] };
  if (plan.confirmed.length > 0) await tx.deletePendingThrough(plan.confirmed.at(-1)!.id);
  const refusedOnReplay = await replay(tx, plan.replayed, context);
  return { confirmed: plan.confirmed.length, pending: plan.kept.length + plan.replayed.length, replayed: plan.replayed.length, refusedOnReplay };
}

/** The client's last mutation id as of this commit, and the rows that change under the pending mutations. */
async function planFor(tx: StoreTx, pending: readonly PendingMutation[], rows: RowsByTable, commit: Commit, context: RebaseContext): Promise<ReplayPlan> {
  const ownRow = rows.get(CLIENTS_TABLE)?.get(context.clientID) ?? (await tx.get(CLIENTS_TABLE, context.clientID));
  const lastMutationID = Number(ownRow?.last_mutation_id ?? 0);
  const changed = new ChangedRows();
  for (const [table, byID] of rows) for (const [id, row] of byID) changed.add(table, id, row);
  for (const shape of commit.refetched) changed.addTable(context.tableOf(shape));
  for (const mutation of pending) {
    if (mutation.id > lastMutationID) break;
    // Undoing a confirmed mutation changes its rows back: from what it wrote to what it found.
    for (const entry of mutation.undo) changed.add(entry.table, entry.id, entry.before, await tx.get(entry.table, entry.id));
  }
  return planReplay(pending, lastMutationID, changed);
}

type RowsByTable = Map<string, Map<string, LocalRow | null>>;

/** The last operation per row wins (a commit is one server state); null: deleted. */
function finalRows(commit: Commit, context: RebaseContext): RowsByTable {
  const byTable: RowsByTable = new Map();
  for (const change of commit.changes) {
    const table = context.tableOf(change.shape);
    let rows = byTable.get(table);
    if (!rows) byTable.set(table, (rows = new Map<string, LocalRow | null>()));
    const id = String(change.row.id);
    rows.delete(id); // keep arrival order of the final operations
    rows.set(id, change.operation === 'delete' ? null : { ...change.row });
  }
  return byTable;
}

/** Puts go in bulk per table. */
async function applyRows(tx: StoreTx, rows: RowsByTable): Promise<void> {
  for (const [table, byID] of rows) {
    const puts: LocalRow[] = [];
    for (const [id, row] of byID) {
      if (row) puts.push(row);
      else await tx.delete(table, id);
    }
    if (puts.length > 0) await tx.putMany(table, puts);
  }
}

async function replay(tx: StoreTx, mutations: readonly PendingMutation[], context: DeviceContext): Promise<number[]> {
  const refused: number[] = [];
  for (const mutation of mutations) {
    let effect: Pick<PendingMutation, 'undo' | 'reads'> = { undo: [], reads: mutation.reads };
    try {
      effect = await runOnDevice(tx, mutation, context);
    } catch {
      refused.push(mutation.id);
    }
    await tx.putPending({ ...mutation, ...effect });
  }
  return refused;
}
