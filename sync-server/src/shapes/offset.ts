/**
 * Shape offsets, as the Electric protocol writes them: `-1` (before everything), `now`,
 * `0_inf` (end of the snapshot) and `<lsn>_<op>` for the log. Resumption is at transaction
 * granularity: `L_k` means "every change of transaction L and before was delivered".
 */
export type ShapeOffset =
  | { readonly kind: 'before-all' }
  | { readonly kind: 'now' }
  | { readonly kind: 'snapshot-end' }
  | { readonly kind: 'log'; readonly lsn: bigint; readonly op: number };

export const beforeAll: ShapeOffset = { kind: 'before-all' };
export const snapshotEnd: ShapeOffset = { kind: 'snapshot-end' };

export function logOffset(lsn: bigint, op = 0): ShapeOffset {
  return { kind: 'log', lsn, op };
}

/** undefined when the text is not an offset. */
export function parseOffset(text: string): ShapeOffset | undefined {
  if (text === '-1') return beforeAll;
  if (text === 'now') return { kind: 'now' };
  if (text === '0_inf') return snapshotEnd;
  const match = /^(\d{1,20})_(\d{1,9})$/.exec(text);
  if (!match) return undefined;
  const lsn = BigInt(match[1]!);
  // The log's positions are Postgres bigints.
  if (lsn > 0x7fff_ffff_ffff_ffffn) return undefined;
  return { kind: 'log', lsn, op: Number(match[2]) };
}

export function formatOffset(offset: ShapeOffset): string {
  switch (offset.kind) {
    case 'before-all':
      return '-1';
    case 'now':
      return 'now';
    case 'snapshot-end':
      return '0_inf';
    case 'log':
      return `${offset.lsn}_${offset.op}`;
  }
}

/** The log position strictly after which changes are still to be delivered (snapshot end: the snapshot's lsn). */
export function deliveredThrough(offset: ShapeOffset, snapshotLsn: bigint): bigint {
  return offset.kind === 'log' ? offset.lsn : snapshotLsn;
}
