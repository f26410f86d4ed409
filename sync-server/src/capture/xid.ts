/**
 * pgoutput names a transaction by its 32-bit xid; the log and the shape snapshots use xid8 (the
 * 64-bit, never-wrapping form of pg_current_xact_id()). Postgres never lets two xids that are
 * both still in use lie 2^31 or more apart (wraparound protection), so against any recent
 * reference xid8 exactly one xid8 with the same low 32 bits is possible: the nearest.
 */
import { CaptureError, CaptureErrorCode } from './capture-error.ts';

const epochSize = 1n << 32n;
const halfEpoch = 1n << 31n;

/**
 * The xid8 whose low 32 bits are `xid32` nearest to `referenceXid8`, less than 2^31 away either
 * way. Use a reference from a recent snapshot (`pg_snapshot_xmax(pg_current_snapshot())`), taken
 * before or after the transaction committed.
 */
export function widenXid(xid32: number, referenceXid8: bigint): bigint {
  if (!Number.isInteger(xid32) || xid32 < 0 || xid32 >= 2 ** 32) throw new RangeError(`Not a 32-bit xid: ${xid32}`);
  if (referenceXid8 < 0n) throw new RangeError(`Not an xid8: ${referenceXid8}`);
  let distance = BigInt(xid32) - (referenceXid8 % epochSize);
  if (distance >= halfEpoch) distance -= epochSize;
  else if (distance < -halfEpoch) distance += epochSize;
  const widened = referenceXid8 + distance;
  if (widened < 0n) throw new CaptureError(CaptureErrorCode.xidOutOfRange, `xid ${xid32} lies before the first xid8, near the reference ${referenceXid8}`);
  return widened;
}
