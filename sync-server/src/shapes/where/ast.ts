/**
 * The parsed, still untyped where clause. Leaves carry their 1-based position in the text so the
 * binder can point at them; structure nodes do not (their position is their first leaf's).
 */
import type { ComparisonOperator } from './tokenizer.ts';

export type { ComparisonOperator };

export interface ColumnRef {
  readonly kind: 'column';
  /** As Postgres resolves it: bare names lower-cased, quoted names as written. */
  readonly name: string;
  readonly position: number;
}

export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly position: number;
}

export interface NumberLiteral {
  readonly kind: 'number';
  /** Decimal text as written, with a leading '-' if negated: '42', '-7', '12.50', '.5', '5.'. */
  readonly text: string;
  readonly position: number;
}

export interface BooleanLiteral {
  readonly kind: 'boolean';
  readonly value: boolean;
  readonly position: number;
}

export interface NullLiteral {
  readonly kind: 'null';
  readonly position: number;
}

export interface ParamRef {
  readonly kind: 'param';
  /** 1 for `$1`. */
  readonly index: number;
  readonly position: number;
}

export type Operand = ColumnRef | StringLiteral | NumberLiteral | BooleanLiteral | NullLiteral | ParamRef;

export interface AndNode {
  readonly kind: 'and';
  /** At least two; `a AND b AND c` is one node, `a AND (b AND c)` two. */
  readonly args: readonly WhereAst[];
}

export interface OrNode {
  readonly kind: 'or';
  readonly args: readonly WhereAst[];
}

export interface NotNode {
  readonly kind: 'not';
  readonly arg: WhereAst;
}

export interface CompareNode {
  readonly kind: 'compare';
  /** `!=` is read as `<>`, as Postgres does. */
  readonly op: ComparisonOperator;
  readonly left: Operand;
  readonly right: Operand;
}

export interface InNode {
  readonly kind: 'in';
  readonly negated: boolean;
  readonly operand: Operand;
  readonly items: readonly Operand[];
}

export interface LikeNode {
  readonly kind: 'like';
  readonly negated: boolean;
  readonly caseInsensitive: boolean;
  readonly operand: Operand;
  readonly pattern: Operand;
}

export type IsTest = 'null' | 'true' | 'false' | 'unknown';

export interface IsNode {
  readonly kind: 'is';
  readonly negated: boolean;
  readonly test: IsTest;
  readonly operand: WhereAst;
}

export type WhereAst = Operand | AndNode | OrNode | NotNode | CompareNode | InNode | LikeNode | IsNode;

export function isOperand(node: WhereAst): node is Operand {
  return (
    node.kind === 'column' ||
    node.kind === 'string' ||
    node.kind === 'number' ||
    node.kind === 'boolean' ||
    node.kind === 'null' ||
    node.kind === 'param'
  );
}

/** Position of the first leaf of a node, for error messages. */
export function positionOf(node: WhereAst): number {
  switch (node.kind) {
    case 'and':
    case 'or':
      return positionOf(node.args[0]!);
    case 'not':
      return positionOf(node.arg);
    case 'compare':
      return node.left.position;
    case 'in':
    case 'like':
    case 'is':
      return positionOf(node.operand);
    default:
      return node.position;
  }
}
