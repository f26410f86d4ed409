/**
 * pgoutput names a transaction by its 32-bit xid; the log and the shape snapshots use xid8 (the
 * 64-bit, never-wrapping form of pg_current_xact_id()). A committed transaction's xid8 is below
 * the next xid to be assigned, and no live xid is more than 2^31 older than it, so the one xid8
 * with the same low 32 bits at or below a fresh reference is the right one.
 */
import { visibleInSnapshot, type PgSnapshot } from '../shapes/pg-snapshot.ts';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';

const epochSize = 1n << 32n;

/**
 * The largest xid8 ≤ `referenceXid8` whose low 32 bits are `xid32`. Use a reference taken after
 * the transaction committed, e.g. `pg_snapshot_xmax(pg_current_snapshot())`.
 */
export function widenXid(xid32: number, referenceXid8: bigint): bigint {
  if (!Number.isInteger(xid32) || xid32 < 0 || xid32 >= 2 ** 32) throw new RangeError(`Not a 32-bit xid: ${xid32}`);
  if (referenceXid8 < 0n) throw new RangeError(`Not an xid8: ${referenceXid8}`);
  const low = BigInt(xid32);
  const candidate = (referenceXid8 - (referenceXid8 % epochSize)) | low;
  const widened = candidate <= referenceXid8 ? candidate : candidate - epochSize;
  if (widened < 0n) {
    throw new CaptureError(CaptureErrorCode.xidOutOfRange, `xid ${xid32} is newer than the reference xid8 ${referenceXid8}`);
  }
  return widened;
}

/**
 * Whether the transaction `xid32` is at or past `referenceXid8` (up to 2^31 ahead, the other half
 * of the circle being older ones). A snapshot's xmax is the latest completed xid + 1, and a commit
 * is decodable from the WAL a moment before its backend completes it there: such a reference is
 * too old to widen that transaction against yet.
 */
export function isAtOrPast(xid32: number, referenceXid8: bigint): boolean {
  const distance = (xid32 - Number(referenceXid8 & 0xffff_ffffn) + 2 ** 32) % 2 ** 32;
  return distance < 2 ** 31;
}

/**
 * A decoded batch's xids widened against a snapshot taken after it was decoded (its xmax is the
 * reference), or, while the snapshot is too early, what is still pending: transactions at or past
 * its xmax (decoded, not yet completed in the proc array), or ones it still shows in progress
 * (pg_visible_in_snapshot's rule).
 */
export function settleXids(xid32s: readonly number[], snapshot: PgSnapshot): { readonly xids: bigint[] } | { readonly pending: string } {
  const ahead = xid32s.filter((xid32) => isAtOrPast(xid32, snapshot.xmax));
  if (ahead.length > 0) return { pending: `${[...new Set(ahead)].join(', ')} were decoded but not completed` };
  const xids = xid32s.map((xid32) => widenXid(xid32, snapshot.xmax));
  const invisible = xids.filter((xid) => !visibleInSnapshot(xid, snapshot));
  if (invisible.length > 0) return { pending: `${[...new Set(invisible)].join(', ')} were decoded but not visible` };
  return { xids };
}
