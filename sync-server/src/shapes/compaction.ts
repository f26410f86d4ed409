/**
 * Keeps the change log bounded: entries older than the retention window are removed and the log
 * remembers the newest lsn it dropped, so a client resuming from before it gets a 409 and a
 * fresh snapshot instead of a silent gap. Handles not used within the window go too.
 */
import type { Executor } from '@niaga/db';

export interface CompactionResult {
  removedEntries: number;
  compactedBefore: bigint;
}

export async function compactChangeLog(db: Executor, retentionMs: number): Promise<CompactionResult> {
  return db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext('niaga.change_log_compaction'))`);
    const cutoff = new Date(Date.now() - retentionMs);
    // Whole transactions only: the newest lsn all of whose entries are older than the cutoff.
    const { rows } = await tx.query<{ lsn: string | null }>(
      `select max(lsn)::text as lsn from sync.change_log where logged_at < $1
         and lsn < coalesce((select min(lsn) from sync.change_log where logged_at >= $1), 9223372036854775807)`,
      [cutoff],
    );
    const { rows: state } = await tx.query<{ compacted_before: string }>('select compacted_before::text from sync.log_state for update');
    let compactedBefore = BigInt(state[0]!.compacted_before);
    let removedEntries = 0;
    if (rows[0]!.lsn !== null) {
      const horizon = BigInt(rows[0]!.lsn);
      const deleted = await tx.query('delete from sync.change_log where lsn <= $1', [horizon.toString()]);
      removedEntries = deleted.rowCount;
      if (horizon > compactedBefore) {
        compactedBefore = horizon;
        await tx.query('update sync.log_state set compacted_before = $1, updated_at = now()', [horizon.toString()]);
      }
    }
    // A handle nobody used within the window goes; its clients refetch if they ever come back.
    await tx.query('delete from sync.shape_handles where used_at < $1 and snapshot_lsn < $2', [cutoff, compactedBefore.toString()]);
    // Instances serving recent offsets from memory must learn the new horizon too.
    if (removedEntries > 0) await tx.query(`select pg_notify('niaga_change_log', 'compacted')`);
    return { removedEntries, compactedBefore };
  });
}
