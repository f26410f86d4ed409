/**
 * A shape as this server serves it: one table, the columns the user asked for (within what their
 * role may see), their role's mandatory filter bound to their claims, and their own `where`.
 * Its hash names it: two users with different claims never share a handle.
 */
import { createHash } from 'node:crypto';
import type { AccessClaims } from '@niaga/protocol';
import { bindRuleFilter, type BoundRuleFilter } from './rule-filter.ts';
import { shapeRules, type RoleRule } from './rules.ts';
import { ShapeRequestError, type ShapeRequest } from './shape-request.ts';
import type { ColumnInfo, TableInfo } from './table-catalog.ts';
import { bindWhere, parseWhere, WhereError, type BoundWhere, type ColumnTypes } from './where/index.ts';

export interface ShapeDefinition {
  readonly table: TableInfo;
  readonly columns: readonly ColumnInfo[];
  readonly rule: BoundRuleFilter;
  readonly where: BoundWhere | undefined;
  readonly replica: 'default' | 'full';
  readonly hash: string;
}

/** The columns of `table` a role rule lets its users see (also the columns of a Replicache client view). */
export function visibleColumns(rule: RoleRule, table: TableInfo): ColumnInfo[] {
  const spec = rule.columns;
  if (spec === 'all') return [...table.columns];
  if ('except' in spec) return table.columns.filter((column) => !spec.except.includes(column.name));
  return table.columns.filter((column) => spec.includes(column.name));
}

export function resolveShape(request: ShapeRequest, user: AccessClaims, catalog: ReadonlyMap<string, TableInfo>): ShapeDefinition {
  const rule = shapeRules[request.table]?.[user.role];
  const table = catalog.get(request.table);
  if (!rule || !table) {
    throw new ShapeRequestError('FORBIDDEN', `Role ${user.role} may not sync ${request.table}`, { table: request.table });
  }
  const visible = visibleColumns(rule, table);
  let columns = visible;
  if (request.columns) {
    const hidden = request.columns.filter((name) => !visible.some((column) => column.name === name));
    if (hidden.length > 0) {
      const unknown = hidden.filter((name) => !table.columns.some((column) => column.name === name));
      if (unknown.length > 0) throw new ShapeRequestError('VALIDATION_FAILED', `Unknown column(s) in "columns": ${unknown.join(', ')}`, { columns: unknown });
      throw new ShapeRequestError('FORBIDDEN', `Role ${user.role} may not see column(s) ${hidden.join(', ')} of ${request.table}`, { columns: hidden });
    }
    const missingKey = table.primaryKey.filter((name) => !request.columns!.includes(name));
    if (missingKey.length > 0) throw new ShapeRequestError('VALIDATION_FAILED', `"columns" must include the primary key (${missingKey.join(', ')})`);
    columns = table.columns.filter((column) => request.columns!.includes(column.name));
  }
  let where: BoundWhere | undefined;
  if (request.where !== undefined) {
    // Only the columns this role may see can be filtered on: a filter on a hidden column would leak it.
    const types: Record<string, NonNullable<ColumnInfo['filterType']>> = {};
    for (const column of visible) if (column.filterType) types[column.name] = column.filterType;
    try {
      where = bindWhere(parseWhere(request.where), types satisfies ColumnTypes, request.params);
    } catch (error) {
      if (error instanceof WhereError) throw new ShapeRequestError('INVALID_WHERE', error.message, { where: request.where });
      throw error;
    }
  } else if (Object.keys(request.params).length > 0) {
    throw new ShapeRequestError('VALIDATION_FAILED', 'params[n] were given without a where clause');
  }
  const bound = bindRuleFilter(rule.filter, user);
  const hash = createHash('sha256')
    .update(JSON.stringify([table.name, columns.map((column) => column.name), bound, request.where ?? null, request.params, request.replica]))
    .digest('hex')
    .slice(0, 16);
  return { table, columns, rule: bound, where, replica: request.replica, hash };
}

/**
 * resolveShape, remembered. A live client asks for the same shape every few seconds, and parsing
 * its where clause and hashing it each time cost about a tenth of a live request's CPU. The key
 * holds everything a definition depends on: the request's own parameters, the role, and the
 * role's filter bound to the caller's claims, so two users with different scopes never share an
 * entry. An entry made against an older catalog entry for its table is made again. Requests that
 * fail are not remembered.
 *
 * Memory is bounded by the keys' total length, not only by their number, since a client chooses
 * its where clause and params: a key longer than `maxKeyChars` is not remembered, and the least
 * recently used entries go first.
 */
export function shapeResolver(
  catalog: ReadonlyMap<string, TableInfo>,
  { maxEntries = 10_000, maxKeyChars = 2_000, maxTotalKeyChars = 2_000_000 } = {},
): (request: ShapeRequest, user: AccessClaims) => ShapeDefinition {
  const remembered = new Map<string, ShapeDefinition>();
  let totalKeyChars = 0;
  const forget = (key: string) => {
    if (remembered.delete(key)) totalKeyChars -= key.length;
  };
  return (request, user) => {
    const rule = shapeRules[request.table]?.[user.role];
    if (!rule) return resolveShape(request, user, catalog);
    const key = JSON.stringify([request.table, user.role, bindRuleFilter(rule.filter, user), request.columns ?? null, request.where ?? null, request.params, request.replica]);
    const known = remembered.get(key);
    forget(key);
    const shape = known && known.table === catalog.get(request.table) ? known : resolveShape(request, user, catalog);
    if (key.length > maxKeyChars) return shape;
    while (remembered.size > 0 && (remembered.size >= maxEntries || totalKeyChars + key.length > maxTotalKeyChars)) forget(remembered.keys().next().value!);
    remembered.set(key, shape); // at the end: the most recently used
    totalKeyChars += key.length;
    return shape;
  };
}
