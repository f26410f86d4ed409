/**
 * Prints an AST back as where text that parses to the same AST (positions aside): identifiers
 * always quoted, every non-leaf child parenthesised. Used for logs and the round-trip property.
 */
import type { Operand, WhereAst } from './ast.ts';
import { isOperand } from './ast.ts';

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function printOperand(node: Operand): string {
  switch (node.kind) {
    case 'column':
      return quoteIdentifier(node.name);
    case 'string':
      return quoteString(node.value);
    case 'number':
      return node.text;
    case 'boolean':
      return node.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
    case 'param':
      return `$${node.index}`;
  }
}

function child(node: WhereAst): string {
  return isOperand(node) ? printOperand(node) : `(${printWhere(node)})`;
}

export function printWhere(node: WhereAst): string {
  switch (node.kind) {
    case 'and':
      return node.args.map(child).join(' AND ');
    case 'or':
      return node.args.map(child).join(' OR ');
    case 'not':
      return `NOT ${child(node.arg)}`;
    case 'compare':
      return `${printOperand(node.left)} ${node.op} ${printOperand(node.right)}`;
    case 'in':
      return `${printOperand(node.operand)} ${node.negated ? 'NOT IN' : 'IN'} (${node.items.map(printOperand).join(', ')})`;
    case 'like':
      return `${printOperand(node.operand)} ${node.negated ? 'NOT ' : ''}${node.caseInsensitive ? 'ILIKE' : 'LIKE'} ${printOperand(node.pattern)}`;
    case 'is':
      return `${child(node.operand)} IS ${node.negated ? 'NOT ' : ''}${node.test.toUpperCase()}`;
    default:
      return printOperand(node);
  }
}
