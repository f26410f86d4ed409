/**
 * Evaluates a bound where clause on one row in Postgres TEXT format, with SQL's three-valued
 * logic: the row is in the shape only if the condition is TRUE (NULL/unknown counts as out).
 */
import type { ComparisonOperator } from './ast.ts';
import type { BoundColumn, BoundNode, BoundWhere } from './bound.ts';
import { likeMatches, type LikeElement } from './like.ts';
import { readPgText } from './pg-text.ts';
import { PgValueError } from './pg-value-error.ts';
import { compareValues, trimTrailingSpaces, type Domain, type Value } from './value.ts';

export type Row = Readonly<Record<string, string | null>>;
type Truth = boolean | null;

export function evaluateWhere(where: BoundWhere, row: Row): boolean {
  return evaluateNode(where.root, row) === true;
}

export function evaluateCompare(op: ComparisonOperator, domain: Domain, a: Value, b: Value): boolean {
  const order = compareValues(domain, a, b);
  switch (op) {
    case '=':
      return order === 0;
    case '<>':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

export function evaluateLike(value: string, elements: readonly LikeElement[], caseInsensitive: boolean): boolean {
  return likeMatches(value, elements, caseInsensitive);
}

function rawCell(column: BoundColumn, row: Row): string | null {
  const text = row[column.name];
  if (text === undefined) {
    throw new PgValueError(`The row has no value for column "${column.name}" (expected text or null)`);
  }
  return text;
}

function readColumn(column: BoundColumn, row: Row): Value | null {
  const text = rawCell(column, row);
  if (text === null) return null;
  const value = readPgText(text, column.type);
  // bpchar::text drops the padding; every other cast the binder adds leaves the value as it is.
  if (column.type === 'bpchar' && column.cast === 'text' && value.type === 'text') {
    return { type: 'text', value: trimTrailingSpaces(value.value) };
  }
  return value;
}

function evaluateNode(node: BoundNode, row: Row): Truth {
  switch (node.kind) {
    case 'constant':
      return node.value;
    case 'boolColumn': {
      const value = readColumn(node.column, row);
      return value === null ? null : value.type === 'bool' && value.value;
    }
    case 'and': {
      let unknown = false;
      for (const arg of node.args) {
        const result = evaluateNode(arg, row);
        if (result === false) return false;
        if (result === null) unknown = true;
      }
      return unknown ? null : true;
    }
    case 'or': {
      let unknown = false;
      for (const arg of node.args) {
        const result = evaluateNode(arg, row);
        if (result === true) return true;
        if (result === null) unknown = true;
      }
      return unknown ? null : false;
    }
    case 'not': {
      const result = evaluateNode(node.arg, row);
      return result === null ? null : !result;
    }
    case 'compare': {
      const left = readColumn(node.left, row);
      if (left === null) return null;
      const right = node.right.kind === 'column' ? readColumn(node.right, row) : node.right.value;
      if (right === null) return null;
      return evaluateCompare(node.op, node.domain, left, right);
    }
    case 'in': {
      const value = readColumn(node.column, row);
      if (value === null) return null;
      let found: Truth = false;
      for (const item of node.items) {
        if (item === null) found = null;
        else if (compareValues(node.domain, value, item.value) === 0) {
          found = true;
          break;
        }
      }
      return found === null ? null : node.negated ? !found : found;
    }
    case 'like': {
      const text = rawCell(node.column, row);
      if (text === null) return null;
      const matched = likeMatches(text, node.elements, node.caseInsensitive);
      return node.negated ? !matched : matched;
    }
    case 'isNull': {
      const isNull = rawCell(node.column, row) === null;
      return node.negated ? !isNull : isNull;
    }
    case 'isTruth': {
      const holds = evaluateNode(node.arg, row) === node.truth;
      return node.negated ? !holds : holds;
    }
  }
}
