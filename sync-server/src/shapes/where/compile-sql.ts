/**
 * Compiles a bound where clause to a parameterised SQL condition. Nothing from the client reaches
 * the SQL text: identifiers come from the table's column list (double-quoted), every value is a
 * `$n` parameter carrying the binder's canonical text (`textParam`), and every sub-expression is
 * parenthesised, so the result can be ANDed with any other condition.
 *
 * Ordering comparisons and LIKE/ILIKE on text run under `COLLATE "C"` (code-point order, ASCII-only
 * case folding), which is what the evaluator implements; equality and IN keep the column's own
 * collation so indexes stay usable (equal under any deterministic collation means byte-equal).
 */
import type { BoundColumn, BoundNode, BoundValue, BoundWhere } from './bound.ts';
import { quoteIdentifier } from './print-where.ts';

export interface CompiledWhere {
  readonly sql: string;
  readonly values: unknown[];
}

const C_COLLATION = ' COLLATE "C"';

/**
 * A parameter bound as Postgres input text and cast in SQL: `$n::text::type`. node-pg sends every
 * parameter as text, but PGlite serializes one by its inferred type, and for a bool it accepts
 * only a JavaScript boolean. Typed as text, both engines read the same text through the type's
 * input function, as a typed parameter would (same session TimeZone and DateStyle).
 */
export function textParam(index: number, type: string): string {
  return type === 'text' ? `$${index}::text` : `$${index}::text::${type}`;
}

export function compileWhere(where: BoundWhere, firstParamIndex: number): CompiledWhere {
  if (!Number.isSafeInteger(firstParamIndex) || firstParamIndex < 1) {
    throw new RangeError(`firstParamIndex must be a positive integer, got ${firstParamIndex}`);
  }
  const values: string[] = [];
  const value = (bound: BoundValue): string => {
    values.push(bound.sqlText);
    return textParam(firstParamIndex + values.length - 1, bound.sqlType);
  };
  const column = (bound: BoundColumn): string => `${quoteIdentifier(bound.name)}${bound.cast === null ? '' : `::${bound.cast}`}`;
  const operand = (bound: BoundColumn | BoundValue): string => (bound.kind === 'column' ? column(bound) : value(bound));

  const compile = (node: BoundNode): string => {
    switch (node.kind) {
      case 'constant':
        return node.value === null ? 'NULL::boolean' : node.value ? 'TRUE' : 'FALSE';
      case 'boolColumn':
        return column(node.column);
      case 'and':
      case 'or':
        return node.args.map((arg) => `(${compile(arg)})`).join(node.kind === 'and' ? ' AND ' : ' OR ');
      case 'not':
        return `NOT (${compile(node.arg)})`;
      case 'compare': {
        const ordering = node.op !== '=' && node.op !== '<>';
        const collate = ordering && (node.domain === 'text' || node.domain === 'bpchar') ? C_COLLATION : '';
        return `${column(node.left)}${collate} ${node.op} ${operand(node.right)}`;
      }
      case 'in': {
        const items = node.items.map((item) => (item === null ? 'NULL' : value(item)));
        return `${column(node.column)} ${node.negated ? 'NOT IN' : 'IN'} (${items.join(', ')})`;
      }
      case 'like': {
        const keyword = `${node.negated ? 'NOT ' : ''}${node.caseInsensitive ? 'ILIKE' : 'LIKE'}`;
        values.push(node.pattern);
        return `${column(node.column)}${C_COLLATION} ${keyword} ${textParam(firstParamIndex + values.length - 1, 'text')}`;
      }
      case 'isNull':
        return `${column(node.column)} IS ${node.negated ? 'NOT ' : ''}NULL`;
      case 'isTruth': {
        const test = node.truth === null ? 'UNKNOWN' : node.truth ? 'TRUE' : 'FALSE';
        return `(${compile(node.arg)}) IS ${node.negated ? 'NOT ' : ''}${test}`;
      }
    }
  };

  return { sql: `(${compile(where.root)})`, values };
}
