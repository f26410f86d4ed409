/**
 * Binds a parsed where clause to one table's column types and the client's params: resolves
 * columns, reads every literal and parameter as the type it is compared with (a literal or
 * parameter takes its column's type, as in Postgres), picks each comparison's domain and folds
 * comparisons that involve no column. Every problem is a WhereError here, so nothing the client
 * sends can make the snapshot query fail later.
 */
import type { ComparisonOperator, CompareNode, ColumnRef, InNode, IsNode, LikeNode, Operand, ParamRef, WhereAst } from './ast.ts';
import type { BoundColumn, BoundNode, BoundValue, BoundWhere } from './bound.ts';
import { formatDecimal } from './decimal.ts';
import { evaluateCompare, evaluateLike } from './evaluate.ts';
import { parseLikePattern } from './like.ts';
import { decimalToFloat, parseDecimalInput, readInput } from './pg-input.ts';
import type { ColumnTypes, FilterableType } from './pg-type.ts';
import { isExactType, isFilterable, isFloatType, isIntType, isTextType } from './pg-type.ts';
import { printWhere, quoteIdentifier } from './print-where.ts';
import type { Domain } from './value.ts';
import { WhereError } from './where-error.ts';

export type Params = Readonly<Record<string, string>>;

const FLIPPED: Record<ComparisonOperator, ComparisonOperator> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const INT4_RANGE = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT8_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const;

type ValueOperand = Exclude<Operand, ColumnRef>;

export function domainOf(type: FilterableType): Domain {
  if (isExactType(type)) return 'exact';
  if (isFloatType(type)) return 'float';
  if (type === 'bpchar') return 'bpchar';
  if (isTextType(type)) return 'text';
  return type;
}

export function bindWhere(ast: WhereAst, columns: ColumnTypes, params: Params): BoundWhere {
  checkParams(ast, params);
  const binder = new Binder(columns, params);
  const root = binder.predicate(ast);
  return { root, columns: [...binder.used].sort() };
}

function collectParams(node: WhereAst, into: ParamRef[]): void {
  switch (node.kind) {
    case 'and':
    case 'or':
      node.args.forEach((arg) => collectParams(arg, into));
      return;
    case 'not':
      collectParams(node.arg, into);
      return;
    case 'compare':
      collectParams(node.left, into);
      collectParams(node.right, into);
      return;
    case 'in':
      collectParams(node.operand, into);
      node.items.forEach((item) => collectParams(item, into));
      return;
    case 'like':
      collectParams(node.operand, into);
      collectParams(node.pattern, into);
      return;
    case 'is':
      collectParams(node.operand, into);
      return;
    case 'param':
      into.push(node);
      return;
    default:
      return;
  }
}

function checkParams(ast: WhereAst, params: Params): void {
  for (const [key, value] of Object.entries(params)) {
    if (!/^[1-9]\d{0,4}$/.test(key)) {
      throw new WhereError(`Invalid parameter name params[${key}]: parameters are named params[1], params[2], …`);
    }
    // Typed as strings, but a query-string parser can hand over an array for a repeated key.
    if (typeof value !== 'string') throw new WhereError(`params[${key}] must be given once, as a single string`);
  }
  const refs: ParamRef[] = [];
  collectParams(ast, refs);
  const used = new Set(refs.map((ref) => ref.index));
  for (const ref of refs) {
    if (!Object.hasOwn(params, String(ref.index))) {
      throw new WhereError(`Missing value for parameter $${ref.index} {at}: send it as params[${ref.index}]`, ref.position);
    }
  }
  for (const key of Object.keys(params)) {
    if (!used.has(Number(key))) {
      throw new WhereError(`params[${key}] was sent but the where clause has no $${key}`);
    }
  }
  for (let index = 1; index <= used.size; index++) {
    if (!used.has(index)) {
      throw new WhereError(`The where clause uses parameters up to $${Math.max(...used)} but not $${index}: number them $1..$n without gaps`);
    }
  }
}

/** The Postgres type of a bare number literal: int4, int8 or numeric. */
function numberLiteralType(text: string): 'int4' | 'int8' | 'numeric' {
  if (text.includes('.')) return 'numeric';
  const value = BigInt(text);
  if (value >= INT4_RANGE[0] && value <= INT4_RANGE[1]) return 'int4';
  if (value >= INT8_RANGE[0] && value <= INT8_RANGE[1]) return 'int8';
  return 'numeric';
}

class Binder {
  readonly used = new Set<string>();

  constructor(
    private readonly columns: ColumnTypes,
    private readonly params: Params,
  ) {}

  predicate(node: WhereAst): BoundNode {
    switch (node.kind) {
      case 'and':
      case 'or':
        return { kind: node.kind, args: node.args.map((arg) => this.predicate(arg)) };
      case 'not':
        return { kind: 'not', arg: this.predicate(node.arg) };
      case 'compare':
        return this.compare(node);
      case 'in':
        return this.in(node);
      case 'like':
        return this.like(node);
      case 'is':
        return this.is(node);
      case 'column': {
        const column = this.column(node);
        if (column.type !== 'bool') {
          throw new WhereError(
            `Column ${quoteIdentifier(node.name)} {at} has type ${column.type}, but a condition must be boolean: compare it, e.g. ${quoteIdentifier(node.name)} = $1`,
            node.position,
          );
        }
        return { kind: 'boolColumn', column };
      }
      case 'null':
        return { kind: 'constant', value: null };
      case 'boolean':
        return { kind: 'constant', value: node.value };
      case 'number':
        throw new WhereError(`The number ${node.text} {at} is not a condition`, node.position);
      case 'string':
      case 'param': {
        const value = this.read(node, 'bool', 'a boolean condition');
        return { kind: 'constant', value: value.value.type === 'bool' ? value.value.value : null };
      }
    }
  }

  private column(ref: ColumnRef): BoundColumn {
    if (!Object.hasOwn(this.columns, ref.name)) {
      const other = Object.keys(this.columns).find((name) => name.toLowerCase() === ref.name.toLowerCase());
      const hint = other === undefined ? '' : `; did you mean ${quoteIdentifier(other)}? Names with capitals must be double-quoted`;
      throw new WhereError(`Unknown column ${quoteIdentifier(ref.name)} {at}${hint}`, ref.position);
    }
    const type = this.columns[ref.name]!;
    if (!isFilterable(type)) {
      throw new WhereError(`Column ${quoteIdentifier(ref.name)} {at} has type ${type}, which cannot be used in a where clause`, ref.position);
    }
    this.used.add(ref.name);
    return { kind: 'column', name: ref.name, type, cast: null };
  }

  /** Reads a string literal or parameter as `type`. */
  private read(node: Extract<Operand, { kind: 'string' | 'param' }>, type: FilterableType, context: string): BoundValue {
    const text = node.kind === 'param' ? this.params[String(node.index)]! : node.value;
    const result = readInput(text, type);
    if (!result.ok) {
      const what = node.kind === 'param' ? `parameter $${node.index}` : `literal ${printWhere(node).slice(0, 80)}`;
      throw new WhereError(`Invalid ${type} value for ${what} {at} (${context}): ${result.reason}`, node.position);
    }
    return { kind: 'value', value: result.input.value, sqlText: result.input.sqlText, sqlType: type };
  }

  /** A value compared with a column of `column.type`; null for NULL. */
  private valueFor(column: BoundColumn, node: ValueOperand, context: string): BoundValue | null {
    switch (node.kind) {
      case 'null':
        return null;
      case 'string':
      case 'param':
        return this.read(node, column.type, context);
      case 'boolean':
        if (column.type !== 'bool') {
          throw new WhereError(`Cannot compare ${context} with the boolean ${node.value ? 'TRUE' : 'FALSE'} {at}`, node.position);
        }
        return { kind: 'value', value: { type: 'bool', value: node.value }, sqlText: String(node.value), sqlType: 'bool' };
      case 'number': {
        if (isExactType(column.type)) {
          const value = parseDecimalInput(node.text);
          if (value === undefined || value === 'exponent') throw new WhereError(`Invalid number ${node.text} {at}`, node.position);
          const literalType = numberLiteralType(node.text);
          const sqlType = literalType === 'numeric' || column.type === 'numeric' ? 'numeric' : 'int8';
          return { kind: 'value', value: { type: 'exact', value }, sqlText: formatDecimal(value), sqlType };
        }
        if (isFloatType(column.type)) {
          const result = decimalToFloat(node.text, 'float8');
          if (!result.ok) throw new WhereError(`Invalid number ${node.text} {at} (${context}): ${result.reason}`, node.position);
          return { kind: 'value', value: result.input.value, sqlText: result.input.sqlText, sqlType: 'float8' };
        }
        const quoted = isTextType(column.type) || column.type === 'uuid' ? `; quote it ('${node.text}') to compare as ${column.type}` : '';
        throw new WhereError(`Cannot compare ${context} with the number ${node.text} {at}${quoted}`, node.position);
      }
    }
  }

  private describe(column: BoundColumn): string {
    return `column ${quoteIdentifier(column.name)} (${column.type})`;
  }

  private compare(node: CompareNode): BoundNode {
    const { left, right, op } = node;
    if (left.kind === 'column') {
      const column = this.column(left);
      if (right.kind === 'column') return this.compareColumns(op, column, this.column(right), right.position);
      return this.columnWithValue(op, column, right);
    }
    // A value on the left moves right, with the operator flipped.
    if (right.kind === 'column') return this.columnWithValue(FLIPPED[op], this.column(right), left);
    return this.foldCompare(op, left, right);
  }

  private columnWithValue(op: ComparisonOperator, column: BoundColumn, node: ValueOperand): BoundNode {
    const value = this.valueFor(column, node, this.describe(column));
    if (value === null) return { kind: 'constant', value: null };
    return this.compareWithValue(op, column, value);
  }

  private compareWithValue(op: ComparisonOperator, column: BoundColumn, value: BoundValue): BoundNode {
    const domain = domainOf(column.type);
    let cast: FilterableType | null = null;
    if (isIntType(column.type) && value.sqlType === 'numeric') cast = 'numeric';
    if (column.type === 'float4' && value.sqlType === 'float8') cast = 'float8';
    return { kind: 'compare', op, domain, left: { ...column, cast }, right: value };
  }

  private compareColumns(op: ComparisonOperator, a: BoundColumn, b: BoundColumn, position: number): BoundNode {
    const same = (domain: Domain, castA: FilterableType | null = null, castB: FilterableType | null = null): BoundNode => ({
      kind: 'compare',
      op,
      domain,
      left: { ...a, cast: castA },
      right: { ...b, cast: castB },
    });
    if (isExactType(a.type) && isExactType(b.type)) {
      if (isIntType(a.type) && isIntType(b.type)) return same('exact');
      return same('exact', a.type === 'numeric' ? null : 'numeric', b.type === 'numeric' ? null : 'numeric');
    }
    if (isFloatType(a.type) && isFloatType(b.type)) {
      if (a.type === b.type) return same('float');
      return same('float', a.type === 'float4' ? 'float8' : null, b.type === 'float4' ? 'float8' : null);
    }
    if (isTextType(a.type) && isTextType(b.type)) {
      if (a.type === 'bpchar' || b.type === 'bpchar') {
        // As Postgres resolves it: bpchar vs text compares as text (char padding dropped),
        // bpchar vs varchar as bpchar (trailing spaces ignored on both sides).
        if (a.type === 'text' || b.type === 'text') {
          return same('text', a.type === 'bpchar' ? 'text' : null, b.type === 'bpchar' ? 'text' : null);
        }
        return same('bpchar', a.type === 'varchar' ? 'bpchar' : null, b.type === 'varchar' ? 'bpchar' : null);
      }
      return same('text');
    }
    if (a.type === b.type) return same(domainOf(a.type));
    throw new WhereError(`Cannot compare ${this.describe(a)} with ${this.describe(b)} {at}`, position);
  }

  /** A comparison of two values: decided now, the way Postgres would type it. */
  private foldCompare(op: ComparisonOperator, left: ValueOperand, right: ValueOperand): BoundNode {
    if (left.kind === 'null' || right.kind === 'null') return { kind: 'constant', value: null };
    const type = this.constantType(left, right);
    const a = this.constant(left, type);
    const b = this.constant(right, type);
    return { kind: 'constant', value: evaluateCompare(op, domainOf(type), a.value, b.value) };
  }

  /** The type two column-less values are compared as: a number's, a boolean's, else text. */
  private constantType(left: ValueOperand, right: ValueOperand): FilterableType {
    const number = left.kind === 'number' ? left : right.kind === 'number' ? right : undefined;
    const other = number === left ? right : left;
    if (number !== undefined) {
      if (other.kind === 'boolean') throw new WhereError('Cannot compare a number with a boolean {at}', other.position);
      return other.kind === 'number' ? 'numeric' : numberLiteralType(number.text);
    }
    return left.kind === 'boolean' || right.kind === 'boolean' ? 'bool' : 'text';
  }

  private constant(node: ValueOperand, type: FilterableType): BoundValue {
    switch (node.kind) {
      case 'string':
      case 'param':
        return this.read(node, type, `compared with a ${type} value`);
      case 'number': {
        const value = parseDecimalInput(node.text);
        if (value === undefined || value === 'exponent') throw new WhereError(`Invalid number ${node.text} {at}`, node.position);
        return { kind: 'value', value: { type: 'exact', value }, sqlText: formatDecimal(value), sqlType: 'numeric' };
      }
      case 'boolean':
        return { kind: 'value', value: { type: 'bool', value: node.value }, sqlText: String(node.value), sqlType: 'bool' };
      case 'null':
        throw new Error('NULL has no value');
    }
  }

  private in(node: InNode): BoundNode {
    for (const item of node.items) {
      if (item.kind === 'column') {
        throw new WhereError(`IN list items must be literals or $n parameters, not column ${quoteIdentifier(item.name)} {at}`, item.position);
      }
    }
    const items = node.items as readonly ValueOperand[];
    const operand = node.operand;
    if (operand.kind !== 'column') {
      // Column-less: x IN (a, b) is x = a OR x = b.
      const results = items.map((item) => this.foldCompare('=', operand, item));
      const values = results.map((result) => (result.kind === 'constant' ? result.value : null));
      const found = values.includes(true) ? true : values.includes(null) ? null : false;
      return { kind: 'constant', value: found === null ? null : node.negated ? !found : found };
    }
    const column = this.column(operand);
    const values = items.map((item) => this.valueFor(column, item, this.describe(column)));
    if (values.every((value) => value === null)) return { kind: 'constant', value: null };
    let cast: FilterableType | null = null;
    if (isIntType(column.type) && values.some((value) => value?.sqlType === 'numeric')) cast = 'numeric';
    if (column.type === 'float4' && values.some((value) => value?.sqlType === 'float8')) cast = 'float8';
    return { kind: 'in', negated: node.negated, domain: domainOf(column.type), column: { ...column, cast }, items: values };
  }

  private like(node: LikeNode): BoundNode {
    const keyword = node.caseInsensitive ? 'ILIKE' : 'LIKE';
    const { operand, pattern } = node;
    if (pattern.kind === 'column') {
      throw new WhereError(`The ${keyword} pattern must be a string literal or a $n parameter, not column ${quoteIdentifier(pattern.name)} {at}`, pattern.position);
    }
    if (pattern.kind === 'number' || pattern.kind === 'boolean') {
      throw new WhereError(`The ${keyword} pattern must be a string literal or a $n parameter {at}`, pattern.position);
    }
    let column: BoundColumn | undefined;
    if (operand.kind === 'column') {
      column = this.column(operand);
      if (!isTextType(column.type)) {
        throw new WhereError(`${keyword} needs a text column, but ${this.describe(column)} {at} is not one`, operand.position);
      }
    } else if (operand.kind === 'number' || operand.kind === 'boolean') {
      throw new WhereError(`${keyword} needs a text value {at}`, operand.position);
    }
    if (pattern.kind === 'null') return { kind: 'constant', value: null };
    const text = this.read(pattern, 'text', `${keyword} pattern`).sqlText;
    const elements = parseLikePattern(text, node.caseInsensitive);
    if (elements === undefined) {
      throw new WhereError(`The ${keyword} pattern {at} ends with a lone backslash; write \\\\ for a literal backslash`, pattern.position);
    }
    if (column === undefined) {
      if (operand.kind === 'null') return { kind: 'constant', value: null };
      const value = this.read(operand as Extract<Operand, { kind: 'string' | 'param' }>, 'text', `${keyword} operand`).sqlText;
      const matched = evaluateLike(value, elements, node.caseInsensitive);
      return { kind: 'constant', value: node.negated ? !matched : matched };
    }
    return { kind: 'like', negated: node.negated, caseInsensitive: node.caseInsensitive, column, pattern: text, elements };
  }

  private is(node: IsNode): BoundNode {
    const { operand, negated, test } = node;
    if (test === 'null' && operand.kind === 'column') {
      return { kind: 'isNull', negated, column: this.column(operand) };
    }
    if (test === 'null' && (operand.kind === 'string' || operand.kind === 'param' || operand.kind === 'number' || operand.kind === 'boolean')) {
      return { kind: 'constant', value: negated };
    }
    const arg = this.predicate(operand);
    const truth = test === 'true' ? true : test === 'false' ? false : null;
    if (arg.kind === 'constant') {
      const holds = arg.value === truth;
      return { kind: 'constant', value: negated ? !holds : holds };
    }
    return { kind: 'isTruth', negated, truth, arg };
  }
}
