/**
 * Which waiting shapes a change can concern, without looking at every shape: shapes are indexed
 * by table and by the equality conditions of their role filter (warehouse_id = X, agent_id = Y…),
 * or, for a shape its rule does not scope (an admin's), by an equality its where requires
 * (product_id = $1), as Electric does. A change is a candidate for the shapes indexed under its
 * old or new value of an indexed column, plus the table's unindexed shapes. Candidates are then
 * checked exactly.
 */
import type { BoundRuleFilter } from './rule-filter.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import type { BoundNode, BoundWhere } from './where/bound.ts';

export type IndexKeys = readonly (readonly [column: string, value: string])[] | 'every-row';

/** One condition per clause suffices: a row passing a clause has that column equal to that value. */
export function indexKeysOf(rule: BoundRuleFilter): IndexKeys {
  const keys: [string, string][] = [];
  for (const clause of rule) {
    if (clause.length === 0) return 'every-row';
    const condition = clause.find((c) => c.value !== null);
    if (clause.some((c) => c.value === null) || !condition) continue; // this clause matches no row
    keys.push([condition.column, condition.value!]);
  }
  return keys;
}

/** The keys a shape is indexed under: its rule's, else an equality its where requires, else every row. */
export function shapeIndexKeys(shape: Pick<ShapeDefinition, 'rule' | 'where'>): IndexKeys {
  const ruleKeys = indexKeysOf(shape.rule);
  if (ruleKeys !== 'every-row') return ruleKeys;
  const required = requiredEquality(shape.where);
  return required ? [required] : 'every-row';
}

/** Column types whose Postgres text output is one exact text per value (uuid as lower-case hex: `bound.sqlText`). */
const exactTextTypes = new Set(['uuid', 'text', 'varchar', 'int2', 'int4', 'int8']);

/**
 * A `column = value` every row of the where must meet (the root, or one argument of a root AND),
 * keyed by the text Postgres prints for that value, so that a row meets it only if its text for
 * the column is that text. Undefined when there is none or the text is not exact (a cast, a
 * numeric scale, an integer literal written `007`).
 */
function requiredEquality(where: BoundWhere | undefined): [string, string] | undefined {
  if (!where) return undefined;
  const conditions: readonly BoundNode[] = where.root.kind === 'and' ? where.root.args : [where.root];
  for (const node of conditions) {
    if (node.kind !== 'compare' || node.op !== '=' || node.left.cast !== null || node.right.kind !== 'value') continue;
    if (!exactTextTypes.has(node.left.type)) continue;
    const text = node.right.sqlText;
    if (node.left.type.startsWith('int') && !/^-?(0|[1-9]\d*)$/.test(text)) continue;
    return [node.left.name, text];
  }
  return undefined;
}

interface TableIndex<T> {
  readonly byColumn: Map<string, Map<string, Set<T>>>;
  readonly everyRow: Set<T>;
}

export class ShapeIndex<T> {
  private readonly tables = new Map<string, TableIndex<T>>();
  private readonly entries = new Map<T, { table: string; keys: IndexKeys }>();

  get size(): number {
    return this.entries.size;
  }

  add(item: T, table: string, keys: IndexKeys): void {
    const index: TableIndex<T> = this.tables.get(table) ?? { byColumn: new Map<string, Map<string, Set<T>>>(), everyRow: new Set<T>() };
    this.tables.set(table, index);
    this.entries.set(item, { table, keys });
    if (keys === 'every-row') {
      index.everyRow.add(item);
      return;
    }
    for (const [column, value] of keys) {
      const byValue = index.byColumn.get(column) ?? new Map<string, Set<T>>();
      index.byColumn.set(column, byValue);
      const items = byValue.get(value) ?? new Set<T>();
      byValue.set(value, items);
      items.add(item);
    }
  }

  remove(item: T): void {
    const entry = this.entries.get(item);
    if (!entry) return;
    this.entries.delete(item);
    const index = this.tables.get(entry.table)!;
    if (entry.keys === 'every-row') {
      index.everyRow.delete(item);
    } else {
      for (const [column, value] of entry.keys) {
        const byValue = index.byColumn.get(column)!;
        const items = byValue.get(value)!;
        items.delete(item);
        if (items.size === 0) byValue.delete(value);
        if (byValue.size === 0) index.byColumn.delete(column);
      }
    }
    if (index.everyRow.size === 0 && index.byColumn.size === 0) this.tables.delete(entry.table);
  }

  /** The shapes a change to this table with these old/new rows may concern. */
  candidates(table: string, oldRow: Readonly<Record<string, string | null>> | null, newRow: Readonly<Record<string, string | null>> | null): Set<T> {
    const index = this.tables.get(table);
    const found = new Set<T>();
    if (!index) return found;
    for (const item of index.everyRow) found.add(item);
    for (const [column, byValue] of index.byColumn) {
      for (const row of [oldRow, newRow]) {
        const value = row?.[column];
        if (value === null || value === undefined) continue;
        const items = byValue.get(value) ?? byValue.get(value.toLowerCase());
        if (items) for (const item of items) found.add(item);
      }
    }
    return found;
  }

  *all(): IterableIterator<T> {
    yield* this.entries.keys();
  }
}
