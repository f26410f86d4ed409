/**
 * Appends assembled transactions to sync.change_log: one database transaction per batch, one
 * set-based insert, and the wake-up notification in the same transaction (NOTIFY is delivered at
 * commit, so a listener never hears of rows it cannot read yet). Transactions at or below the
 * log's current maximum lsn are skipped: the slot redelivers what was appended but not yet
 * acknowledged when a leader died, and this makes that replay harmless.
 */
import type { Executor } from '@niaga/db';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';
import type { CapturedChange } from './transaction-assembler.ts';

/** Channel notified after each append; the payload is the new maximum lsn in decimal. */
export const changeLogChannel = 'niaga_change_log';
/** Channel notified when appended transactions truncated synced tables; payload JSON `{ lsn, tables }`. */
export const truncateChannel = 'niaga_change_log_truncate';

/** A transaction ready to log: its xid already widened to xid8. */
export interface LoggableTransaction {
  readonly lsn: bigint;
  readonly xid: bigint;
  readonly changes: readonly CapturedChange[];
  readonly truncatedTables: readonly string[];
}

export interface AppendResult {
  /** Transactions written (those with changes and above the previous maximum). */
  readonly appended: readonly LoggableTransaction[];
  /** Transactions skipped because the log already reached their lsn. */
  readonly skipped: number;
  /** The log's maximum lsn after the append. */
  readonly maxLsn: bigint;
}

/** Serialises appenders: a deposed leader still finishing an append cannot interleave with the new one. */
const appendLockKey = 'niaga.change_log.append';

function assertIncreasing(batch: readonly LoggableTransaction[]): void {
  for (let i = 1; i < batch.length; i++) {
    if (batch[i]!.lsn <= batch[i - 1]!.lsn) {
      throw new CaptureError(CaptureErrorCode.lsnOrder, `Batch not in commit order: ${batch[i]!.lsn} after ${batch[i - 1]!.lsn}`);
    }
  }
}

export async function appendTransactions(db: Executor, batch: readonly LoggableTransaction[]): Promise<AppendResult> {
  assertIncreasing(batch);
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [appendLockKey]);
    const { rows } = await tx.query<{ max: string }>('select coalesce(max(lsn), 0)::text as max from sync.change_log');
    const previousMax = BigInt(rows[0]!.max);
    const fresh = batch.filter((transaction) => transaction.lsn > previousMax);
    const skipped = batch.length - fresh.length;

    // One JSON document for the whole batch: far cheaper to build and send than per-row JSON
    // escaped again into Postgres array literals.
    const entries: unknown[] = [];
    for (const transaction of fresh) {
      const lsn = transaction.lsn.toString();
      const xid = transaction.xid.toString();
      transaction.changes.forEach((change, opIndex) => {
        entries.push({ lsn, op_index: opIndex, xid, table_name: change.table, operation: change.operation, old_row: change.oldRow, new_row: change.newRow });
      });
    }
    const appended = fresh.filter((transaction) => transaction.changes.length > 0);
    if (entries.length > 0) {
      await tx.query(
        `insert into sync.change_log (lsn, op_index, xid, table_name, operation, old_row, new_row)
         select lsn, op_index, xid, table_name, operation, old_row, new_row
           from jsonb_to_recordset($1::jsonb)
             as e(lsn bigint, op_index integer, xid bigint, table_name text, operation text, old_row jsonb, new_row jsonb)`,
        [JSON.stringify(entries)],
      );
    }
    const maxLsn = appended.length > 0 ? appended[appended.length - 1]!.lsn : previousMax;
    if (appended.length > 0) await tx.query('select pg_notify($1, $2)', [changeLogChannel, maxLsn.toString()]);
    for (const transaction of fresh) {
      if (transaction.truncatedTables.length === 0) continue;
      // Their shapes' handles are retired in the same transaction: clients must refetch (409).
      await tx.query('delete from sync.shape_handles where table_name = any($1::text[])', [transaction.truncatedTables]);
      const payload = JSON.stringify({ lsn: transaction.lsn.toString(), tables: transaction.truncatedTables });
      await tx.query('select pg_notify($1, $2)', [truncateChannel, payload]);
    }
    return { appended, skipped, maxLsn };
  });
}
