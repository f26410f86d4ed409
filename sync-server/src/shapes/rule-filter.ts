/**
 * A role rule's mandatory filter, bound to one user's claims: an OR of AND-ed equalities.
 * Compiled to SQL for snapshots and evaluated in memory on logged rows (Postgres text values),
 * the same way, so both agree.
 */
import type { AccessClaims } from '@niaga/protocol';
import { claimValue, type RuleFilter } from './rules.ts';
import type { TableInfo } from './table-catalog.ts';
import { textParam } from './where/index.ts';

export type BoundRuleFilter = readonly (readonly { readonly column: string; readonly value: string | null }[])[];

export function bindRuleFilter(filter: RuleFilter, user: AccessClaims): BoundRuleFilter {
  return filter.map((clause) =>
    clause.map((condition) => ({ column: condition.column, value: 'claim' in condition ? claimValue(user, condition.claim) : condition.equals })),
  );
}

/** Compares as Postgres would for the types rules use (uuid case-insensitively, bool as t/f). */
function sameValue(type: string, rowValue: string, ruleValue: string): boolean {
  if (type === 'uuid') return rowValue.toLowerCase() === ruleValue.toLowerCase();
  if (type === 'bool') return (rowValue === 't' || rowValue === 'true') === (ruleValue === 't' || ruleValue === 'true');
  return rowValue === ruleValue;
}

export function evaluateRuleFilter(filter: BoundRuleFilter, table: TableInfo, row: Readonly<Record<string, string | null>>): boolean {
  return filter.some((clause) =>
    clause.every(({ column, value }) => {
      const rowValue = row[column];
      if (value === null || rowValue === null || rowValue === undefined) return false;
      const type = table.columns.find((c) => c.name === column)?.type ?? 'text';
      return sameValue(type, rowValue, value);
    }),
  );
}

/** `(cond)` with parameters from `firstIndex`; a clause with no conditions is `true`. */
export function compileRuleFilter(filter: BoundRuleFilter, table: TableInfo, firstIndex: number): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const clauses = filter.map((clause) => {
    if (clause.length === 0) return 'true';
    return clause
      .map(({ column, value }) => {
        if (value === null) return 'false';
        const type = table.columns.find((c) => c.name === column)?.type ?? 'text';
        values.push(value);
        return `"${column}" = ${textParam(firstIndex + values.length - 1, type)}`;
      })
      .join(' and ');
  });
  return { sql: clauses.length === 0 ? '(false)' : `((${clauses.join(') or (')}))`, values };
}
