/**
 * Pure state machine: pgoutput messages in (already decoded to raw text values), complete
 * transactions out. pgoutput (without streaming of in-progress transactions) sends each
 * committed transaction contiguously, BEGIN … changes … COMMIT, in commit order; anything else
 * is a protocol error. See SPEC.md.
 */
import { CaptureError, CaptureErrorCode } from './capture-error.ts';

/** One row as Postgres text output: column → text, or null for SQL NULL. */
export type TextRow = Readonly<Record<string, string | null>>;

export type ChangeOperation = 'insert' | 'update' | 'delete';

export interface CapturedChange {
  /** 'schema.table' */
  readonly table: string;
  readonly operation: ChangeOperation;
  /** The row before an update or delete (REPLICA IDENTITY FULL); null for inserts. */
  readonly oldRow: TextRow | null;
  /** The row after an insert or update; null for deletes. */
  readonly newRow: TextRow | null;
}

export interface AssembledTransaction {
  /** The commit record's LSN: the transaction's position in the log. */
  readonly lsn: bigint;
  /** Where the commit record ends. */
  readonly endLsn: bigint;
  /** pgoutput's 32-bit xid; widen it with widenXid before logging. */
  readonly xid32: number;
  /** In the order they were made; a change's op_index is its index here. */
  readonly changes: readonly CapturedChange[];
  /** Tables this transaction truncated, in order, without duplicates. Nothing is logged for them. */
  readonly truncatedTables: readonly string[];
}

export type AssemblerInput =
  | { readonly tag: 'begin'; readonly commitLsn: bigint; readonly xid: number }
  | { readonly tag: 'relation'; readonly table: string }
  | { readonly tag: 'insert'; readonly table: string; readonly newRow: TextRow }
  | { readonly tag: 'update'; readonly table: string; readonly oldRow: TextRow; readonly newRow: TextRow }
  | { readonly tag: 'delete'; readonly table: string; readonly oldRow: TextRow }
  | { readonly tag: 'truncate'; readonly tables: readonly string[] }
  | { readonly tag: 'commit'; readonly commitLsn: bigint; readonly endLsn: bigint };

/** Changes of the open transaction, newest first: O(1) per change, immutable, reversed at commit. */
interface ChangeList {
  readonly head: CapturedChange;
  readonly rest: ChangeList | null;
}

export type AssemblerState =
  | { readonly phase: 'idle'; readonly lastLsn: bigint | null }
  | {
      readonly phase: 'open';
      readonly lastLsn: bigint | null;
      readonly commitLsn: bigint;
      readonly xid32: number;
      readonly changes: ChangeList | null;
      readonly truncatedTables: readonly string[];
    };

export interface AssemblerStep {
  readonly state: AssemblerState;
  /** Set when this input completed a transaction. */
  readonly completed: AssembledTransaction | null;
}

export const initialAssemblerState: AssemblerState = { phase: 'idle', lastLsn: null };

function protocolError(message: string): CaptureError {
  return new CaptureError(CaptureErrorCode.protocol, message);
}

function collect(list: ChangeList | null): CapturedChange[] {
  const changes: CapturedChange[] = [];
  for (let node = list; node; node = node.rest) changes.push(node.head);
  return changes.reverse();
}

/** True when no transaction is half-received. */
export function isBetweenTransactions(state: AssemblerState): boolean {
  return state.phase === 'idle';
}

export function stepAssembler(state: AssemblerState, input: AssemblerInput): AssemblerStep {
  switch (input.tag) {
    case 'relation':
      // Relation messages describe columns; the decoder already attached them to each change.
      return { state, completed: null };
    case 'begin': {
      if (state.phase !== 'idle') throw protocolError(`BEGIN of xid ${input.xid} inside the open transaction xid ${state.xid32}`);
      if (state.lastLsn !== null && input.commitLsn <= state.lastLsn) {
        throw protocolError(`BEGIN announces commit LSN ${input.commitLsn}, not after the previous commit ${state.lastLsn}`);
      }
      return {
        state: { phase: 'open', lastLsn: state.lastLsn, commitLsn: input.commitLsn, xid32: input.xid, changes: null, truncatedTables: [] },
        completed: null,
      };
    }
    case 'insert':
    case 'update':
    case 'delete': {
      if (state.phase !== 'open') throw protocolError(`${input.tag.toUpperCase()} on ${input.table} outside a transaction`);
      const change: CapturedChange =
        input.tag === 'insert'
          ? { table: input.table, operation: 'insert', oldRow: null, newRow: input.newRow }
          : input.tag === 'update'
            ? { table: input.table, operation: 'update', oldRow: input.oldRow, newRow: input.newRow }
            : { table: input.table, operation: 'delete', oldRow: input.oldRow, newRow: null };
      return { state: { ...state, changes: { head: change, rest: state.changes } }, completed: null };
    }
    case 'truncate': {
      if (state.phase !== 'open') throw protocolError('TRUNCATE outside a transaction');
      const added = input.tables.filter((table, index) => !state.truncatedTables.includes(table) && input.tables.indexOf(table) === index);
      return { state: { ...state, truncatedTables: [...state.truncatedTables, ...added] }, completed: null };
    }
    case 'commit': {
      if (state.phase !== 'open') throw protocolError(`COMMIT at ${input.commitLsn} outside a transaction`);
      if (input.commitLsn !== state.commitLsn) {
        throw protocolError(`COMMIT at ${input.commitLsn} does not match its BEGIN's commit LSN ${state.commitLsn}`);
      }
      const completed: AssembledTransaction = {
        lsn: state.commitLsn,
        endLsn: input.endLsn,
        xid32: state.xid32,
        changes: collect(state.changes),
        truncatedTables: state.truncatedTables,
      };
      return { state: { phase: 'idle', lastLsn: state.commitLsn }, completed };
    }
  }
}
