/**
 * A Replicache client view: for every table the caller's role may sync, the rows their role's
 * mandatory filter admits, with the columns it lets them see. Each table is expressed as a shape
 * definition (rule bound to the caller's claims, no client `where`, full rows on update), so the
 * shape modules judge rows for pull exactly as they do for shapes.
 */
import { createHash } from 'node:crypto';
import type { AccessClaims } from '@niaga/protocol';
import { bindRuleFilter } from '../shapes/rule-filter.ts';
import { shapeRules, syncedTables } from '../shapes/rules.ts';
import { visibleColumns, type ShapeDefinition } from '../shapes/shape-definition.ts';
import type { TableInfo } from '../shapes/table-catalog.ts';

/** The Replicache key of a row: `<schema.table>/<id>` (every synced table's primary key is `id`). */
export const viewKey = (table: string, id: string): string => `${table}/${id}`;

/** Per table (schema.table), the caller's shape of it. */
export type ClientView = ReadonlyMap<string, ShapeDefinition>;

export function clientViewOf(user: AccessClaims, catalog: ReadonlyMap<string, TableInfo>): ClientView {
  const view = new Map<string, ShapeDefinition>();
  for (const name of syncedTables) {
    const rule = shapeRules[name]?.[user.role];
    const table = catalog.get(name);
    if (!rule || !table) continue;
    if (table.primaryKey.length !== 1 || table.primaryKey[0] !== 'id') throw new Error(`Synced table ${name} must have the primary key id to be pulled`);
    const columns = visibleColumns(rule, table);
    const bound = bindRuleFilter(rule.filter, user);
    const hash = createHash('sha256')
      .update(JSON.stringify(['replicache-view', name, columns.map((column) => column.name), bound]))
      .digest('hex')
      .slice(0, 16);
    view.set(name, { table, columns, rule: bound, where: undefined, replica: 'full', hash });
  }
  return view;
}
