/**
 * Applies one aligned commit to the store in one local transaction, with the pending mutations'
 * optimistic effects undone around it and replayed on top (see SPEC.md, "Rebase").
 */
import type { LocalRow, PendingMutation, StoreTx } from './local-store.ts';
import type { Commit } from './transaction-aligner.ts';
import { runOnDevice, type DeviceContext } from './device-mutation.ts';
import { ChangedRows, planReplay, type ReplayPlan } from './replay-plan.ts';
import { RowOverlay } from './row-overlay.ts';

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
  /** Pending mutations undone and run again on the new state. */
  readonly replayed: number;
  /** Pending mutations the device could not replay on the new state (the server will decide). */
  readonly refusedOnReplay: readonly number[];
}

export const metaKeys = {
  cursor: (shape: string) => `shape:${shape}`,
  lsn: 'sync:lsn',
  lastSyncedAt: 'sync:lastSyncedAt',
} as const;

export async function applyCommit(tx: StoreTx, commit: Commit, context: RebaseContext, now: string): Promise<RebaseResult> {
  const rows = finalRows(commit, context);
  const pending = await tx.listPending();
  const plan = pending.length === 0 ? undefined : await planFor(tx, pending, rows, commit, context);
  // The undo, and the replay's writes, are held in the overlay and written once, at the end.
  const overlay = new RowOverlay(tx);
  // The confirmed prefix and the replayed ones (the highest ids); kept ones stay.
  if (plan) await overlay.undo([...plan.confirmed, ...plan.replayed]);

  for (const shape of commit.refetched) {
    await tx.clear(context.tableOf(shape));
    overlay.forgetTable(context.tableOf(shape));
  }
  await applyRows(tx, rows);
  for (const [table, byID] of rows) overlay.forget(table, byID.keys());
  for (const [shape, cursor] of commit.cursors) await tx.setMeta(metaKeys.cursor(shape), cursor);
  await tx.setMeta(metaKeys.lsn, commit.lsn.toString());
  if (commit.changes.length > 0 || commit.initial) await tx.setMeta(metaKeys.lastSyncedAt, now);

  if (!plan) return { confirmed: 0, pending: 0, replayed: 0, refusedOnReplay: [] };
  if (plan.confirmed.length > 0) await tx.deletePendingThrough(plan.confirmed.at(-1)!.id);
  const refusedOnReplay = await replay(tx, overlay, plan.replayed, context);
  await overlay.flush();
  return { confirmed: plan.confirmed.length, pending: plan.kept.length + plan.replayed.length, replayed: plan.replayed.length, refusedOnReplay };
}

/** The client's last mutation id as of this commit, and the rows that change under the pending mutations. */
async function planFor(tx: StoreTx, pending: readonly PendingMutation[], rows: RowsByTable, commit: Commit, context: RebaseContext): Promise<ReplayPlan> {
  const ownRow = rows.get(CLIENTS_TABLE)?.get(context.clientID) ?? (await tx.get(CLIENTS_TABLE, context.clientID));
  const lastMutationID = Number(ownRow?.last_mutation_id ?? 0);
  const changed = new ChangedRows();
  for (const [table, byID] of rows) for (const [id, row] of byID) changed.add(table, id, row);
  for (const shape of commit.refetched) changed.addTable(context.tableOf(shape));
  // Undoing a confirmed mutation changes its rows back: from what they are now to what it found.
  const entries = pending.filter((mutation) => mutation.id <= lastMutationID).flatMap((mutation) => mutation.undo);
  const current = await currentImages(tx, entries);
  entries.forEach((entry, index) => changed.add(entry.table, entry.id, entry.before, current[index]));
  return planReplay(pending, lastMutationID, changed);
}

/** The rows' images in the store now, in their order: one getMany per table. */
async function currentImages(tx: StoreTx, rows: readonly { table: string; id: string }[]): Promise<(LocalRow | undefined)[]> {
  const idsByTable = new Map<string, string[]>();
  for (const { table, id } of rows) {
    const ids = idsByTable.get(table);
    if (ids) ids.push(id);
    else idsByTable.set(table, [id]);
  }
  const found = new Map<string, LocalRow | undefined>();
  for (const [table, ids] of idsByTable) {
    const images = await tx.getMany(table, ids);
    ids.forEach((id, index) => found.set(`${table}/${id}`, images[index]));
  }
  return rows.map(({ table, id }) => found.get(`${table}/${id}`));
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

/** Deletes and puts go in bulk per table. */
async function applyRows(tx: StoreTx, rows: RowsByTable): Promise<void> {
  for (const [table, byID] of rows) {
    const puts: LocalRow[] = [];
    const deletes: string[] = [];
    for (const [id, row] of byID) {
      if (row) puts.push(row);
      else deletes.push(id);
    }
    await tx.deleteMany(table, deletes);
    await tx.putMany(table, puts);
  }
}

/**
 * Runs the mutations again, in id order, over the overlay (prefetched with what they read and
 * wrote last time), then writes their queue entries in one call. Their rows stay in the overlay.
 */
async function replay(tx: StoreTx, overlay: RowOverlay, mutations: readonly PendingMutation[], context: DeviceContext): Promise<number[]> {
  if (mutations.length === 0) return [];
  const local = (table: string) => context.localTables.has(table);
  const rows = mutations.flatMap((mutation) => [
    ...mutation.reads.keys.map((key) => ({ table: key.slice(0, key.indexOf('/')), id: key.slice(key.indexOf('/') + 1) })),
    ...mutation.undo.map(({ table, id }) => ({ table, id })),
  ]);
  await overlay.prefetch(rows.filter((row) => local(row.table)), mutations.flatMap((mutation) => mutation.reads.lists).filter((list) => local(list.table)));
  const refused: number[] = [];
  const queued: PendingMutation[] = [];
  for (const mutation of mutations) {
    let effect: Pick<PendingMutation, 'undo' | 'reads'> = { undo: [], reads: mutation.reads };
    try {
      effect = await runOnDevice(overlay, mutation, context);
    } catch {
      refused.push(mutation.id);
    }
    queued.push({ ...mutation, ...effect });
  }
  await tx.putPendingMany(queued);
  return refused;
}
