/**
 * Appends assembled transactions to sync.change_log: one database transaction per batch, one
 * set-based insert, and the wake-up notification in the same transaction (NOTIFY is delivered at
 * commit, so a listener never hears of rows it cannot read yet). Transactions at or below the
 * log's current maximum lsn are skipped: the slot redelivers what was appended but not yet
 * acknowledged when a leader died, and this makes that replay harmless.
 */
import type { Queryable } from '@niaga/db';
import type { EntryRow } from '../shapes/change-feed.ts';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';
import type { CapturedChange } from './transaction-assembler.ts';

/** Channel notified after each append (by sync.append_change_batch); the payload is the new maximum lsn in decimal. */
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
  /** The log's maximum lsn before it: the log holds no entry between this and the first of `rows`. */
  readonly previousMax: bigint;
  /** The rows the append wrote, as the change feed would read them back, in log order. */
  readonly rows: readonly EntryRow[];
  /** The xmax of the snapshot the batch was found visible in. */
  readonly xmax: bigint;
}

function assertIncreasing(batch: readonly LoggableTransaction[]): void {
  for (let i = 1; i < batch.length; i++) {
    if (batch[i]!.lsn <= batch[i - 1]!.lsn) {
      throw new CaptureError(CaptureErrorCode.lsnOrder, `Batch not in commit order: ${batch[i]!.lsn} after ${batch[i - 1]!.lsn}`);
    }
  }
}

/**
 * A document in jsonb's binary input format (a version byte, then its text), which the pg driver
 * sends as is. Text it would encode as UTF-8, and Node 20 encodes ~3 µs per KB; most batches are
 * ASCII, whose UTF-8 is a byte-for-byte copy (Latin-1), ~15 times faster. Postgres only, as capture is.
 */
function jsonbBinary(json: string): Buffer {
  const length = Buffer.byteLength(json);
  const bytes = Buffer.allocUnsafe(1 + length);
  bytes[0] = 1;
  bytes.write(json, 1, length === json.length ? 'latin1' : 'utf8');
  return bytes;
}

/**
 * One round trip: `sync.append_visible_change_batch` (migration 0028) checks that every transaction
 * of the batch is visible to new snapshots, then `sync.append_change_batch` (0024, 0029) takes the
 * appenders' lock, skips what the log already holds, inserts, retires truncated tables' handles and
 * notifies, as one transaction. The batch travels as one JSON document, far cheaper to build and
 * send than per-row JSON escaped again into Postgres array literals.
 *
 * While a transaction is not visible yet, nothing is appended and the call is made again (1, 2, 4 …
 * 50 ms apart) for at most `visibilityTimeoutMs`, then fails with CAPTURE_VISIBILITY_TIMEOUT: a
 * commit is decoded a moment before its backend completes it, and a shape snapshot taken in between
 * would miss a transaction whose lsn is already in the log.
 */
export async function appendTransactions(db: Queryable, batch: readonly LoggableTransaction[], visibilityTimeoutMs: number): Promise<AppendResult> {
  assertIncreasing(batch);
  const entries: EntryRow[] = [];
  const truncations: { lsn: string; tables: readonly string[] }[] = [];
  for (const transaction of batch) {
    const lsn = transaction.lsn.toString();
    const xid = transaction.xid.toString();
    transaction.changes.forEach((change, opIndex) => {
      entries.push({ lsn, op_index: opIndex, xid, table_name: change.table, operation: change.operation, old_row: change.oldRow, new_row: change.newRow });
    });
    if (transaction.truncatedTables.length > 0) truncations.push({ lsn, tables: transaction.truncatedTables });
  }
  const params = [jsonbBinary(JSON.stringify(entries)), JSON.stringify(truncations)];
  const xids = [...new Set(batch.map((transaction) => transaction.xid.toString()))];
  const { previousMax, xmax } = await appendWhenVisible(db, params, xids, visibilityTimeoutMs);
  const fresh = batch.filter((transaction) => transaction.lsn > previousMax);
  const appended = fresh.filter((transaction) => transaction.changes.length > 0);
  const maxLsn = appended.length > 0 ? appended[appended.length - 1]!.lsn : previousMax;
  const rows = fresh.length === batch.length ? entries : entries.filter((entry) => BigInt(entry.lsn) > previousMax);
  return { appended, skipped: batch.length - fresh.length, maxLsn, previousMax, rows, xmax };
}

async function appendWhenVisible(db: Queryable, params: unknown[], xids: readonly string[], timeoutMs: number): Promise<{ previousMax: bigint; xmax: bigint }> {
  const deadline = performance.now() + timeoutMs;
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 50)) {
    const { rows } = await db.query<{ previous_max: string | null; xmax: string }>(
      'select previous_max::text, xmax::text from sync.append_visible_change_batch($1::jsonb, $2::jsonb, $3::xid8[])',
      [...params, xids],
    );
    const { previous_max: previousMax, xmax } = rows[0]!;
    if (previousMax !== null) return { previousMax: BigInt(previousMax), xmax: BigInt(xmax) };
    if (performance.now() > deadline) throw new CaptureError(CaptureErrorCode.visibilityTimeout, `Not all of transactions ${xids.join(', ')} were visible ${timeoutMs} ms after they were decoded`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}
