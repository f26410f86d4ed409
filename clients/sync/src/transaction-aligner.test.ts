import fc from 'fast-check';
import { expect, test } from 'vitest';
import { TransactionAligner, type Commit, type ShapeMessage } from './transaction-aligner.ts';

const shapes = ['a', 'b', 'c'] as const;
const cursor = (n: number) => ({ handle: 'h', offset: `${n}_0` });
const change = (lsn: number, id: string, last = false): ShapeMessage => ({ headers: { operation: 'insert', lsn: String(lsn), ...(last ? { last: true } : {}) }, key: id, value: { id } });
const upToDate = (lsn: number): ShapeMessage => ({ headers: { control: 'up-to-date', global_last_seen_lsn: String(lsn) } });

/** Server transactions: each touches a non-empty subset of shapes with 1–3 rows each. */
const transactions = fc.array(fc.subarray([...shapes], { minLength: 1 }).chain((touched) => fc.tuple(fc.constant(touched), fc.integer({ min: 1, max: 3 }))), { minLength: 1, maxLength: 12 });

test('every commit holds whole transactions across shapes, in LSN order, and all of them arrive (snapshot rows written early, or their write failing, or not)', () => {
  // takes: 0 nothing written early, 1 the early rows are written, 2 their write fails.
  fc.assert(
    fc.property(transactions, fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 200, maxLength: 200 }), fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 50 }), (txs, picks, cuts, takes) => {
      // What each shape's stream will deliver: snapshot rows, then per transaction its rows (last flagged), up-to-dates in between.
      const lastLsn = txs.length;
      const streams = new Map<string, ShapeMessage[][]>(shapes.map((shape) => [shape, [[change(0, `${shape}-snap`), upToDate(0)]]]));
      const rowsOf = new Map<number, string[]>();
      txs.forEach(([touched, count], index) => {
        const lsn = index + 1;
        for (const shape of touched) {
          const rows = Array.from({ length: count }, (_, row) => `${shape}-${lsn}-${row}`);
          rowsOf.set(lsn, [...(rowsOf.get(lsn) ?? []), ...rows]);
          streams.get(shape)!.push(rows.map((id, row) => change(lsn, id, row === count - 1)));
        }
      });
      let cut = 0;
      for (const batches of streams.values()) {
        // Random up-to-dates between transactions, and a final one carrying the global LSN.
        for (const batch of batches.slice(1)) if (cuts[cut++ % cuts.length]) batch.push(upToDate(Number(batch[0]!.headers.lsn)));
        batches.push([upToDate(lastLsn)]);
      }
      const aligner = new TransactionAligner([...shapes]);
      const commits: Commit[] = [];
      const taken: string[] = [];
      let step = 0;
      let delivered = 0;
      while ([...streams.values()].some((batches) => batches.length > 0)) {
        const open = shapes.filter((shape) => streams.get(shape)!.length > 0);
        const shape = open[picks[step % picks.length]! % open.length]!;
        aligner.receive(shape, streams.get(shape)!.shift()!, cursor(++delivered));
        // A first sync may write snapshot rows early (sync-client's writeSnapshotRows).
        const take = takes[step++ % takes.length]!;
        const early = take > 0 ? aligner.snapshotRowsToWrite(shape) : undefined;
        if (early) {
          expect(commits).toHaveLength(0);
          if (take === 1) {
            early.written();
            taken.push(...early.rows.map((row) => String(row.id)));
          }
        }
        const commit = aligner.takeCommit();
        if (commit) commits.push(commit);
      }
      // Whole transactions: each LSN's rows are all in one commit.
      const commitOf = new Map<string, number>();
      commits.forEach((commit, index) => commit.changes.forEach((c) => commitOf.set(String(c.row.id), index)));
      for (const [lsn, rows] of rowsOf) expect(new Set(rows.map((id) => commitOf.get(id))).size, `transaction ${lsn}`).toBe(1);
      // Every row arrives exactly once, snapshot rows taken early or in the first (initial) commit.
      const all = [...taken, ...commits.flatMap((commit) => commit.changes.map((c) => String(c.row.id)))];
      expect(all.length).toBe(new Set(all).size);
      expect(new Set(all)).toEqual(new Set([...shapes.map((shape) => `${shape}-snap`), ...[...rowsOf.values()].flat()]));
      expect(taken.every((id) => id.endsWith('-snap'))).toBe(true);
      expect(commits[0]!.initial).toBe(true);
      expect(commits[0]!.changes.filter((c) => c.lsn === 0n)).toHaveLength(3 - taken.length);
      // Commit LSNs only grow; the final one reached the last transaction.
      for (let i = 1; i < commits.length; i++) expect(commits[i]!.lsn >= commits[i - 1]!.lsn).toBe(true);
      expect(commits.at(-1)!.lsn).toBe(BigInt(lastLsn));
    }),
  );
});

test('a saved cursor never passes a change that is still buffered', () => {
  const aligner = new TransactionAligner(['a', 'b']);
  aligner.receive('a', [change(0, 'a0'), upToDate(0)], cursor(1));
  aligner.receive('b', [upToDate(0)], cursor(2));
  expect(aligner.takeCommit()?.cursors).toEqual(new Map([['a', cursor(1)], ['b', cursor(2)]]));
  // Shape a has transaction 5, but b has only promised up to 3: a's cursor must not move past 5.
  aligner.receive('a', [change(5, 'a5', true), upToDate(5)], cursor(3));
  aligner.receive('b', [upToDate(3)], cursor(4));
  const commit = aligner.takeCommit();
  expect(commit?.changes).toEqual([]);
  expect(commit?.cursors).toEqual(new Map([['b', cursor(4)]]));
  aligner.receive('b', [upToDate(5)], cursor(5));
  const next = aligner.takeCommit();
  expect(next?.changes.map((c) => c.row.id)).toEqual(['a5']);
  expect(next?.cursors).toEqual(new Map([['a', cursor(3)], ['b', cursor(5)]]));
});

test('must-refetch voids the buffered changes and the new snapshot commits with a clear of the shape', () => {
  const aligner = new TransactionAligner(['a', 'b'], { lsn: 10n, shapes: new Set(['a', 'b']) });
  aligner.receive('a', [change(11, 'gone', true)], cursor(1));
  aligner.receive('a', [{ headers: { control: 'must-refetch' } }], cursor(2));
  aligner.receive('b', [upToDate(12)], cursor(3));
  expect(aligner.takeCommit()).toBeUndefined(); // a has no snapshot yet
  aligner.receive('a', [change(0, 'fresh'), upToDate(12)], cursor(4));
  const commit = aligner.takeCommit();
  expect(commit?.refetched).toEqual(['a']);
  expect(commit?.changes.map((c) => c.row.id)).toEqual(['fresh']);
  expect(commit?.lsn).toBe(12n);
});

test('a change replayed after it was committed is dropped', () => {
  const aligner = new TransactionAligner(['a']);
  aligner.receive('a', [change(0, 's'), upToDate(0)], cursor(1));
  aligner.takeCommit();
  aligner.receive('a', [change(3, 'x', true), upToDate(3)], cursor(2));
  expect(aligner.takeCommit()?.changes).toHaveLength(1);
  aligner.receive('a', [change(3, 'x', true), upToDate(3)], cursor(3));
  expect(aligner.takeCommit()?.changes).toEqual([]);
});

test('a shape synced again whose server reports a global LSN behind the last commit says the log is behind; one at or past it does not', () => {
  const aligner = new TransactionAligner(['a', 'b'], { lsn: 40n, shapes: new Set(['a', 'b']) });
  // Past the commit: an ordinary must-refetch (compaction).
  expect(aligner.receive('a', [{ headers: { control: 'must-refetch' } }, change(0, 'a1'), upToDate(41)], cursor(1))).toEqual([{ type: 'must-refetch', shape: 'a' }]);
  // An up-to-date of a shape that was not refetched never says so (a live request answered at once).
  expect(aligner.receive('b', [upToDate(12)], cursor(2))).toEqual([]);
  // The server's database was replaced: its log restarted below what the device committed.
  expect(aligner.receive('b', [{ headers: { control: 'must-refetch' } }, change(0, 'b1'), upToDate(3)], cursor(3))).toEqual([
    { type: 'must-refetch', shape: 'b' },
    { type: 'log-behind', shape: 'b', serverLsn: 3n, committedLsn: 40n },
  ]);
  // An up-to-date without a global LSN (another server) says nothing about the log.
  const other = new TransactionAligner(['a'], { lsn: 40n, shapes: new Set(['a']) });
  expect(other.receive('a', [{ headers: { control: 'must-refetch' } }, change(0, 'a1'), { headers: { control: 'up-to-date' } }], cursor(1))).toEqual([{ type: 'must-refetch', shape: 'a' }]);
});

/** The rows a first sync would write early for `shape` (checked against `expected`), written. */
function writeEarly(aligner: TransactionAligner, shape: string, expected: { rows?: unknown[]; clearFirst?: boolean }): void {
  const early = aligner.snapshotRowsToWrite(shape);
  expect(early).toMatchObject(expected);
  early!.written();
}

test('a first sync takes snapshot rows early, in order and only up to the first live change; never after a commit', () => {
  const aligner = new TransactionAligner(['a', 'b']);
  aligner.receive('a', [change(0, 's1'), change(0, 's2')], cursor(1));
  writeEarly(aligner, 'a', { rows: [{ id: 's1' }, { id: 's2' }], clearFirst: false });
  expect(aligner.snapshotRowsToWrite('a')).toBeUndefined();
  aligner.receive('a', [change(0, 's3'), upToDate(4), change(5, 'live', true)], cursor(2));
  writeEarly(aligner, 'a', { rows: [{ id: 's3' }] });
  aligner.receive('b', [change(0, 'b1'), upToDate(6)], cursor(3));
  const first = aligner.takeCommit();
  expect(first?.initial).toBe(true);
  expect(first?.changes.map((c) => c.row.id)).toEqual(['live', 'b1']);
  expect(first?.cursors).toEqual(new Map([['a', cursor(2)], ['b', cursor(3)]])); // cursors move only with a commit
  aligner.receive('b', [{ headers: { control: 'must-refetch' } }, change(0, 'b2'), upToDate(7)], cursor(4));
  expect(aligner.snapshotRowsToWrite('b')).toBeUndefined(); // after the first commit, snapshots go in commits
  expect(aligner.takeCommit()?.refetched).toEqual(['b']);
});

test('rows left from an interrupted first sync, or voided by a must-refetch, are cleared by the first rows taken, else by the first commit', () => {
  const leftover = new TransactionAligner(['a', 'b'], { lsn: 0n, shapes: new Set(), leftovers: new Set(['a', 'b']) });
  leftover.receive('a', [change(0, 'a1')], cursor(1));
  writeEarly(leftover, 'a', { rows: [{ id: 'a1' }], clearFirst: true });
  leftover.receive('a', [change(0, 'a2'), upToDate(0)], cursor(2));
  writeEarly(leftover, 'a', { rows: [{ id: 'a2' }], clearFirst: false });
  leftover.receive('b', [upToDate(0)], cursor(3)); // b's snapshot is empty: nothing taken, the commit clears it
  expect(leftover.takeCommit()?.refetched).toEqual(['b']);

  const refetched = new TransactionAligner(['a']);
  refetched.receive('a', [change(0, 'old')], cursor(1));
  writeEarly(refetched, 'a', { clearFirst: false });
  refetched.receive('a', [{ headers: { control: 'must-refetch' } }, change(0, 'new')], cursor(2));
  writeEarly(refetched, 'a', { rows: [{ id: 'new' }], clearFirst: true });
  refetched.receive('a', [upToDate(3)], cursor(3));
  expect(refetched.takeCommit()?.refetched).toEqual([]);
});

test('early rows whose write failed stay for the first commit with their clear; rows voided by a must-refetch during their write are not let go', () => {
  const failed = new TransactionAligner(['a'], { lsn: 0n, shapes: new Set(), leftovers: new Set(['a']) });
  failed.receive('a', [change(0, 'a1')], cursor(1));
  expect(failed.snapshotRowsToWrite('a')).toMatchObject({ rows: [{ id: 'a1' }], clearFirst: true }); // its write fails: not written()
  failed.receive('a', [change(0, 'a2')], cursor(2));
  writeEarly(failed, 'a', { rows: [{ id: 'a1' }, { id: 'a2' }], clearFirst: true });
  failed.receive('a', [change(0, 'a3'), upToDate(1)], cursor(3));
  expect(failed.snapshotRowsToWrite('a')).toMatchObject({ rows: [{ id: 'a3' }], clearFirst: false }); // fails again
  const first = failed.takeCommit();
  expect(first?.changes.map((c) => c.row.id)).toEqual(['a3']);
  expect(first?.refetched).toEqual([]);

  const voided = new TransactionAligner(['a']);
  voided.receive('a', [change(0, 'old1'), change(0, 'old2')], cursor(1));
  const early = voided.snapshotRowsToWrite('a')!;
  // While old1 and old2 are being written, the server voids them and the new snapshot starts.
  voided.receive('a', [{ headers: { control: 'must-refetch' } }, change(0, 'new1')], cursor(2));
  early.written();
  writeEarly(voided, 'a', { rows: [{ id: 'new1' }], clearFirst: true });
  voided.receive('a', [change(0, 'new2'), upToDate(2)], cursor(3));
  const commit = voided.takeCommit();
  expect(commit?.changes.map((c) => c.row.id)).toEqual(['new2']);
  expect(commit?.refetched).toEqual([]);
});
