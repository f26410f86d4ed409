/**
 * A pull's patch from the change log (pure). Each logged change is judged on its old and new row
 * by the shape modules (changesFor): a row entering the caller's view or changing in it becomes a
 * put of the whole visible row, one leaving it a del. Transactions the cookie's full view already
 * contained are skipped (their effects, and the client ids they advanced, are in it). The client
 * group's last mutation ids come from its sync.clients rows in the same entries, so they always
 * describe exactly the data the patch brings.
 */
import type { PatchOperation } from '@niaga/protocol';
import { changesFor } from '../shapes/change-messages.ts';
import { visibleInSnapshot, type PgSnapshot } from '../shapes/pg-snapshot.ts';
import type { TailEntry } from '../shapes/tail-index.ts';
import { viewKey, type ClientView } from './client-view.ts';
import { jsonRow } from './json-row.ts';

export const clientsTable = 'sync.clients';

export class ViewPatch {
  /** The last operation per key: a later change of a row replaces an earlier one. */
  private readonly operations = new Map<string, PatchOperation>();
  readonly lastMutationIDChanges: Record<string, number> = {};

  constructor(
    private readonly view: ClientView,
    private readonly clientGroupID: string,
    private readonly fullViewSnapshot: PgSnapshot,
  ) {}

  /** How many keys the patch touches so far. */
  get size(): number {
    return this.operations.size;
  }

  get patch(): PatchOperation[] {
    return [...this.operations.values()];
  }

  /** The entries of one whole transaction, in log order. */
  addTransaction(entries: readonly TailEntry[]): void {
    for (const entry of entries) {
      if (visibleInSnapshot(entry.xid, this.fullViewSnapshot)) continue;
      if (entry.table === clientsTable) this.noteClient(entry);
      const shape = this.view.get(entry.table);
      if (!shape) continue;
      for (const message of changesFor(shape, [entry])) {
        const id = message.value.id;
        if (id === null || id === undefined) continue;
        const key = viewKey(entry.table, id);
        this.operations.delete(key);
        this.operations.set(key, message.headers.operation === 'delete' ? { op: 'del', key } : { op: 'put', key, value: jsonRow(shape.columns, message.value) });
      }
    }
  }

  private noteClient(entry: TailEntry): void {
    const row = entry.newRow;
    if (!row || row.client_group_id !== this.clientGroupID || row.id === null || row.id === undefined) return;
    const lastMutationID = Number(row.last_mutation_id);
    if (Number.isSafeInteger(lastMutationID) && lastMutationID > (this.lastMutationIDChanges[row.id] ?? -1)) this.lastMutationIDChanges[row.id] = lastMutationID;
  }
}
