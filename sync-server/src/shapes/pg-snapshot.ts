/** Postgres snapshots (`pg_current_snapshot()`): which transactions a snapshot already saw. */
export interface PgSnapshot {
  readonly xmin: bigint;
  readonly xmax: bigint;
  readonly xip: readonly bigint[];
}

export function parsePgSnapshot(text: string): PgSnapshot {
  const [xmin, xmax, xip = ''] = text.split(':');
  if (xmin === undefined || xmax === undefined) throw new Error(`Not a snapshot: ${text}`);
  return { xmin: BigInt(xmin), xmax: BigInt(xmax), xip: xip === '' ? [] : xip.split(',').map(BigInt) };
}

/** Same rule as pg_visible_in_snapshot: committed before the snapshot was taken. */
export function visibleInSnapshot(xid: bigint, snapshot: PgSnapshot): boolean {
  if (xid < snapshot.xmin) return true;
  if (xid >= snapshot.xmax) return false;
  return !snapshot.xip.includes(xid);
}
