/**
 * Pure state machine that turns the message batches of several shape streams into local commits
 * that each hold whole server transactions, across all shapes. See SPEC.md beside this file.
 *
 * Inputs: `receive(shape, messages, cursor)` for every batch a shape stream publishes.
 * Output: `takeCommit()` → the changes every shape has completed (by LSN), the shapes to clear
 * first (must-refetch), and the cursor of each shape to save with them; or undefined.
 */

export type Operation = 'insert' | 'update' | 'delete';

/** The parts of an ElectricSQL message the aligner reads (structurally the client's `Message`). */
export interface ShapeMessage {
  readonly headers: Readonly<Record<string, unknown>>;
  readonly key?: string;
  readonly value?: Readonly<Record<string, unknown>>;
}

export interface ShapeCursor {
  readonly handle: string;
  readonly offset: string;
}

export interface AlignedChange {
  readonly shape: string;
  readonly operation: Operation;
  readonly row: Readonly<Record<string, unknown>>;
  /** 0 for snapshot rows. */
  readonly lsn: bigint;
}

export interface Commit {
  /** Every change of every shape up to this LSN is in this commit (or an earlier one). */
  readonly lsn: bigint;
  /** Shapes whose local rows go before the changes apply (the server asked for a refetch). */
  readonly refetched: readonly string[];
  /** In arrival order per shape; shapes one after another (keys never collide across shapes). */
  readonly changes: readonly AlignedChange[];
  /** The cursor to save per shape: resuming from it repeats nothing committed and skips nothing. */
  readonly cursors: ReadonlyMap<string, ShapeCursor>;
  /** True for the first commit after every shape's snapshot completed (the initial sync). */
  readonly initial: boolean;
}

interface Checkpoint {
  readonly cursor: ShapeCursor;
  /** The highest LSN among the batch's changes (0: snapshot rows or none). */
  readonly lsn: bigint;
}

interface ShapeState {
  /** Highest LSN this shape will never again deliver a change at or below; -1 before its first up-to-date. */
  complete: bigint;
  buffer: AlignedChange[];
  checkpoints: Checkpoint[];
  refetched: boolean;
  /** Counts must-refetches: rows handed out before one are void. */
  generation: number;
}

/** Snapshot rows a first sync may write at once (see snapshotRowsToWrite). */
export interface EarlySnapshotRows {
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  /** The shape's local rows are void (left over, or a must-refetch): clear them before writing these. */
  readonly clearFirst: boolean;
  /**
   * Call once the rows (and the clear) are written and committed: the aligner lets them go, and
   * the first commit no longer clears the shape. Not called (the write failed), they stay for the
   * first commit, the clear too.
   */
  readonly written: () => void;
}

/**
 * `log-behind`: a shape synced again from scratch (must-refetch, or left over) reports a global LSN
 * below the last local commit. The server's log is behind this device (its database was restored
 * or replaced): its changes from here on have positions this device already committed, which would
 * be taken for replays and dropped. The caller syncs every shape again from scratch, with the
 * committed LSN forgotten.
 */
export type AlignerEvent = { readonly type: 'must-refetch'; readonly shape: string } | { readonly type: 'log-behind'; readonly shape: string; readonly serverLsn: bigint; readonly committedLsn: bigint };

export class TransactionAligner {
  private readonly shapes = new Map<string, ShapeState>();
  private committedLsn: bigint;
  private everCommitted: boolean;

  /**
   * @param shapeNames every shape the device syncs (a commit waits for all of them)
   * @param resume the LSN of the last local commit and the shapes whose snapshots it holds
   *   (they resume from saved cursors; the others start with a snapshot); `leftovers`: shapes
   *   whose local rows are left from a sync that did not finish (no cursor saved), cleared as
   *   after a must-refetch before their snapshot's rows are written
   */
  constructor(shapeNames: readonly string[], resume: { readonly lsn: bigint; readonly shapes: ReadonlySet<string>; readonly leftovers?: ReadonlySet<string> } = { lsn: 0n, shapes: new Set() }) {
    this.committedLsn = resume.lsn;
    this.everCommitted = resume.shapes.size > 0;
    for (const name of shapeNames) {
      const resumed = resume.shapes.has(name);
      this.shapes.set(name, { complete: resumed ? resume.lsn : -1n, buffer: [], checkpoints: [], refetched: !resumed && (resume.leftovers?.has(name) ?? false), generation: 0 });
    }
  }

  /** One batch as a shape stream published it, and the stream's cursor after it. */
  receive(shape: string, messages: readonly ShapeMessage[], cursor: ShapeCursor): AlignerEvent[] {
    const state = this.shapes.get(shape);
    if (!state) throw new Error(`Unknown shape ${shape}`);
    const events: AlignerEvent[] = [];
    let batchLsn = 0n;
    for (const message of messages) {
      const control = message.headers.control;
      if (control === 'must-refetch') {
        // Everything this shape said so far is void; its new snapshot replaces its rows.
        state.buffer = [];
        state.checkpoints = [];
        state.complete = -1n;
        state.refetched = true;
        state.generation++;
        batchLsn = 0n;
        events.push({ type: 'must-refetch', shape });
        continue;
      }
      if (control === 'up-to-date') {
        const seen = lsnOf(message.headers.global_last_seen_lsn);
        if (state.refetched && seen < this.committedLsn && isLsn(message.headers.global_last_seen_lsn)) events.push({ type: 'log-behind', shape, serverLsn: seen, committedLsn: this.committedLsn });
        state.complete = max(state.complete, seen, 0n);
        continue;
      }
      const operation = message.headers.operation;
      if (operation !== 'insert' && operation !== 'update' && operation !== 'delete') continue;
      const lsn = lsnOf(message.headers.lsn);
      // A replay of a change already committed (e.g. an SSE reconnect) is dropped.
      if (lsn !== 0n && lsn <= this.committedLsn && !state.refetched) continue;
      state.buffer.push({ shape, operation, row: message.value ?? {}, lsn });
      batchLsn = max(batchLsn, lsn);
      if (message.headers.last === true) state.complete = max(state.complete, lsn);
    }
    state.checkpoints.push({ cursor, lsn: batchLsn });
    return events;
  }

  /**
   * During a first sync (nothing committed yet), the snapshot rows a shape has buffered so far, for
   * the caller to write at once, in a local transaction of their own, while the rest downloads.
   * They are the server's rows as of the snapshot, which every later change of the shape follows,
   * so writing them early changes nothing but when; no cursor moves, so an interrupted first sync
   * starts over (its rows are then `leftovers`). They stay buffered until `written()` is called
   * (a failed write loses nothing); meanwhile the buffer only grows at its end, or a must-refetch
   * voids it, and them. Undefined once something was committed, or if the shape has no such rows.
   */
  snapshotRowsToWrite(shape: string): EarlySnapshotRows | undefined {
    const state = this.shapes.get(shape);
    if (!state) throw new Error(`Unknown shape ${shape}`);
    if (this.everCommitted) return undefined;
    let count = 0;
    while (count < state.buffer.length && state.buffer[count]!.lsn === 0n && state.buffer[count]!.operation === 'insert') count++;
    if (count === 0) return undefined;
    const { generation } = state;
    const clearFirst = state.refetched;
    return {
      rows: state.buffer.slice(0, count).map((change) => change.row),
      clearFirst,
      written: () => {
        // A must-refetch came meanwhile: these rows are void and the shape is to be cleared again.
        if (state.generation !== generation || this.everCommitted) return;
        state.buffer.splice(0, count);
        if (clearFirst) state.refetched = false;
      },
    };
  }

  /** How many shapes have had their first up-to-date (their snapshot is complete). */
  completeShapes(): number {
    let complete = 0;
    for (const state of this.shapes.values()) if (state.complete >= 0n) complete++;
    return complete;
  }

  /**
   * Shapes holding back a commit: they have not promised anything up to a change another shape
   * buffered. A quiet shape only says so at its next long-poll timeout, so the caller asks them
   * at once (a non-live request answers with the global LSN).
   */
  laggingShapes(): string[] {
    let newest = 0n;
    for (const state of this.shapes.values()) for (const change of state.buffer) if (change.lsn > newest) newest = change.lsn;
    return [...this.shapes].filter(([, state]) => state.complete >= 0n && state.complete < newest).map(([name]) => name);
  }

  /** True while some shape has not completed its first snapshot. */
  waitingForSnapshot(): boolean {
    return [...this.shapes.values()].some((state) => state.complete < 0n);
  }

  /** The next commit, if every shape has completed something beyond the last one (or a refetch waits). */
  takeCommit(): Commit | undefined {
    if (this.waitingForSnapshot()) return undefined;
    const states = [...this.shapes.entries()];
    const low = states.reduce((least, [, state]) => (state.complete < least ? state.complete : least), states[0]?.[1].complete ?? 0n);
    const refetched = states.filter(([, state]) => state.refetched).map(([name]) => name);
    const initial = !this.everCommitted;
    if (low <= this.committedLsn && refetched.length === 0 && !initial) {
      // Nothing new to apply, but batches of only already-committed LSNs still move cursors on.
      const cursors = this.advanceCursors(this.committedLsn);
      const hasBuffered = states.some(([, state]) => state.buffer.some((change) => change.lsn <= this.committedLsn));
      if (cursors.size === 0 && !hasBuffered) return undefined;
      return { lsn: this.committedLsn, refetched: [], changes: this.drain(this.committedLsn), cursors, initial: false };
    }
    const through = low > this.committedLsn ? low : this.committedLsn;
    const changes = this.drain(through);
    const cursors = this.advanceCursors(through);
    for (const [, state] of states) state.refetched = false;
    this.committedLsn = through;
    this.everCommitted = true;
    return { lsn: through, refetched, changes, cursors, initial };
  }

  private drain(through: bigint): AlignedChange[] {
    const changes: AlignedChange[] = [];
    for (const state of this.shapes.values()) {
      const keep: AlignedChange[] = [];
      for (const change of state.buffer) (change.lsn <= through ? changes : keep).push(change);
      state.buffer = keep;
    }
    return changes;
  }

  private advanceCursors(through: bigint): Map<string, ShapeCursor> {
    const cursors = new Map<string, ShapeCursor>();
    for (const [name, state] of this.shapes) {
      let last: Checkpoint | undefined;
      while (state.checkpoints[0] && state.checkpoints[0].lsn <= through) last = state.checkpoints.shift();
      if (last) cursors.set(name, last.cursor);
    }
    return cursors;
  }
}

function isLsn(value: unknown): boolean {
  return (typeof value === 'string' && /^\d+$/.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
}

function lsnOf(value: unknown): bigint {
  return isLsn(value) ? BigInt(value as string | number) : 0n;
}

function max(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}
