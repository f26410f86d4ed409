/**
 * From logged row changes to a shape's change messages (pure). A change is judged on its old and
 * new row: a row entering the shape becomes an insert of the full row (move-in), a row leaving it
 * a delete (move-out), so re-scoping rows needs no resync.
 */
import { evaluateRuleFilter } from './rule-filter.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import type { TableInfo } from './table-catalog.ts';
import { evaluateWhere } from './where/index.ts';

export type TextRow = Readonly<Record<string, string | null>>;

export interface LogEntry {
  readonly lsn: bigint;
  readonly op: number;
  readonly xid: bigint;
  readonly operation: 'insert' | 'update' | 'delete';
  readonly oldRow: TextRow | null;
  readonly newRow: TextRow | null;
}

export interface ChangeMessage {
  key: string;
  value: Record<string, string | null>;
  old_value?: Record<string, string | null>;
  headers: {
    operation: 'insert' | 'update' | 'delete';
    relation: [string, string];
    lsn?: string;
    op_position?: number;
    txids?: number[];
    last?: boolean;
  };
}

const quoteKeyPart = (text: string) => `"${text.replace(/\//g, '//')}"`;

/** The table part of Electric's key: "schema"."table", with / and . doubled inside names. */
/**
 * The up-to-date control message as JSON. It carries the lsn its response's offset stands at
 * (`<lsn>_0`): the SSE client resumes from it, and clients/sync saves it as its batch's cursor.
 */
export const upToDateMessage = (lsn: bigint): string => JSON.stringify({ headers: { control: 'up-to-date', global_last_seen_lsn: lsn.toString() } });

export function keyPrefix(table: TableInfo): string {
  const escape = (name: string) => name.replace(/\//g, '//').replace(/\./g, '..');
  return `"${escape(table.schema)}"."${escape(table.table)}"`;
}

/** Electric's key: "schema"."table"/"pk1"/"pk2", with / doubled inside values. */
export function rowKey(table: TableInfo, row: TextRow): string {
  return keyPrefix(table) + table.primaryKey.map((column) => `/${row[column] === null || row[column] === undefined ? '_' : quoteKeyPart(row[column])}`).join('');
}

export function inShape(shape: ShapeDefinition, row: TextRow): boolean {
  return evaluateRuleFilter(shape.rule, shape.table, row) && (shape.where === undefined || evaluateWhere(shape.where, row));
}

function project(shape: ShapeDefinition, row: TextRow, only?: (column: string) => boolean): Record<string, string | null> {
  const value: Record<string, string | null> = {};
  for (const { name } of shape.columns) if (!only || only(name)) value[name] = row[name] ?? null;
  return value;
}

function message(shape: ShapeDefinition, entry: LogEntry, operation: ChangeMessage['headers']['operation'], row: TextRow, value: ChangeMessage['value']): ChangeMessage {
  return {
    key: rowKey(shape.table, row),
    value,
    headers: {
      operation,
      relation: [shape.table.schema, shape.table.table],
      lsn: entry.lsn.toString(),
      op_position: entry.op,
      txids: [Number(entry.xid)],
    },
  };
}

/** Whether a change's old row was in the shape, and whether its new row is. */
export interface Membership {
  readonly wasIn: boolean;
  readonly isIn: boolean;
}

export function membership(shape: ShapeDefinition, entry: LogEntry): Membership {
  return { wasIn: entry.oldRow !== null && inShape(shape, entry.oldRow), isIn: entry.newRow !== null && inShape(shape, entry.newRow) };
}

/**
 * One change's messages for a shape, given its membership: none, one, or, when the primary key
 * changed, a delete of the old key and an insert of the new. They depend only on the entry, the
 * membership, the shape's columns and its replica mode, so shapes alike in those share them.
 */
export function entryMessages(shape: ShapeDefinition, entry: LogEntry, { wasIn, isIn }: Membership): ChangeMessage[] {
  const primaryKey = shape.table.primaryKey;
  const before = entry.oldRow;
  const after = entry.newRow;
  const deletion = (old: TextRow) =>
    message(shape, entry, 'delete', old, shape.replica === 'full' ? project(shape, old) : project(shape, old, (c) => primaryKey.includes(c)));
  const insertion = (row: TextRow) => message(shape, entry, 'insert', row, project(shape, row));
  if (before && after && primaryKey.some((column) => before[column] !== after[column])) {
    return [...(wasIn ? [deletion(before)] : []), ...(isIn ? [insertion(after)] : [])];
  }
  if (isIn && !wasIn) return [insertion(after!)];
  if (wasIn && !isIn) return [deletion(before!)];
  if (!isIn || !wasIn) return [];
  const changed = shape.columns.map((c) => c.name).filter((name) => before![name] !== after![name]);
  if (changed.length === 0) return [];
  if (shape.replica === 'full') {
    const update = message(shape, entry, 'update', after!, project(shape, after!));
    update.old_value = project(shape, before!, (c) => changed.includes(c));
    return [update];
  }
  return [message(shape, entry, 'update', after!, project(shape, after!, (c) => primaryKey.includes(c) || changed.includes(c)))];
}

/** The shape's messages for one transaction's entries, the last one marked `last`. */
export function changesFor(shape: ShapeDefinition, entries: readonly LogEntry[]): ChangeMessage[] {
  const messages: ChangeMessage[] = [];
  for (const entry of entries) messages.push(...entryMessages(shape, entry, membership(shape, entry)));
  const last = messages.at(-1);
  if (last) last.headers.last = true;
  return messages;
}
