/**
 * Recursive-descent parser for the where-clause subset, with Postgres's precedence:
 *
 *   or      := and ( OR and )*
 *   and     := not ( AND not )*
 *   not     := NOT not | is
 *   is      := test [ IS [NOT] ( NULL | TRUE | FALSE | UNKNOWN ) ]
 *   test    := primary [ cmp-op primary | [NOT] IN '(' primary (',' primary)* ')' | [NOT] [I]LIKE primary ]
 *   primary := '(' or ')' | column | 'string' | ['-'] number | TRUE | FALSE | NULL | $n
 *
 * Operands of comparisons, IN and LIKE must be columns, literals or parameters (possibly in
 * parentheses); comparing boolean expressions with each other is not supported.
 */
import type { ComparisonOperator, IsTest, Operand, WhereAst } from './ast.ts';
import { isOperand, positionOf } from './ast.ts';
import { ALLOWED_CONSTRUCTS, WhereError } from './where-error.ts';
import { tokenize, type Token } from './tokenizer.ts';

export const MAX_NESTING = 50;

/** Words with a meaning of their own in this grammar. */
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'true', 'false', 'like', 'ilike', 'unknown']);

/**
 * Postgres reserved and type/function-name keywords: bare, they are never a column in Postgres
 * (`user` is CURRENT_USER, `current_date` a function), so they must not silently become one here.
 */
const RESERVED = new Set([
  'all', 'analyse', 'analyze', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast', 'check', 'collate',
  'column', 'constraint', 'create', 'current_catalog', 'current_date', 'current_role', 'current_time',
  'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do', 'else', 'end', 'except',
  'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'initially', 'intersect', 'into', 'lateral',
  'leading', 'limit', 'localtime', 'localtimestamp', 'offset', 'on', 'only', 'order', 'placing', 'primary',
  'references', 'returning', 'select', 'session_user', 'some', 'symmetric', 'system_user', 'table', 'then', 'to',
  'trailing', 'union', 'unique', 'user', 'using', 'variadic', 'when', 'where', 'window', 'with',
  'authorization', 'binary', 'collation', 'concurrently', 'cross', 'current_schema', 'freeze', 'full', 'inner',
  'isnull', 'join', 'left', 'natural', 'notnull', 'outer', 'overlaps', 'right', 'similar', 'tablesample', 'verbose',
]);

const SUBQUERY_WORDS = new Set(['select', 'with', 'values', 'table', 'from', 'exists']);

/** Non-reserved words that are operators in Postgres when they follow a value. */
const OPERATOR_WORDS = new Set(['between', 'escape', 'at', 'similar', 'collate', 'isnull', 'notnull', 'overlaps', 'operator', 'uescape']);

/** Parses a client's where text. Throws WhereError naming the offending token and its position. */
export function parseWhere(text: string): WhereAst {
  return new Parser(tokenize(text)).parseAll();
}

function unsupported(what: string, token: string, position: number): WhereError {
  return new WhereError(`Unsupported ${what} "${token}" {at}: ${ALLOWED_CONSTRUCTS}`, position);
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'word':
      return `"${token.raw}"`;
    case 'quotedIdent':
      return `identifier "${token.value.replaceAll('"', '""')}"`;
    case 'string':
      return 'string literal';
    case 'number':
      return `number ${token.text}`;
    case 'param':
      return `$${token.index}`;
    case 'op':
      return `"${token.value}"`;
    case 'lparen':
      return '"("';
    case 'rparen':
      return '")"';
    case 'comma':
      return '","';
    case 'eof':
      return 'end of input';
  }
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseAll(): WhereAst {
    if (this.peek().kind === 'eof') throw new WhereError('The where clause is empty');
    const ast = this.parseOr();
    const next = this.peek();
    if (next.kind === 'rparen') throw new WhereError('Unbalanced parenthesis ")" {at}: it closes nothing', next.position);
    if (next.kind !== 'eof') throw this.unexpected(next, 'AND, OR or the end of the clause');
    return ast;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.value === word;
  }

  private acceptWord(word: string): boolean {
    if (!this.isWord(this.peek(), word)) return false;
    this.index++;
    return true;
  }

  private enter(position: number): void {
    this.depth++;
    if (this.depth > MAX_NESTING) {
      throw new WhereError(`The where clause is nested deeper than ${MAX_NESTING} levels {at}`, position);
    }
  }

  private unexpected(token: Token, expected: string): WhereError {
    if (token.kind === 'op' && token.value === '-') return unsupported('arithmetic operator', '-', token.position);
    if (token.kind === 'word' && (RESERVED.has(token.value) || OPERATOR_WORDS.has(token.value))) {
      return unsupported('keyword', token.raw, token.position);
    }
    return new WhereError(`Unexpected ${describe(token)} {at}: expected ${expected}`, token.position);
  }

  private parseOr(): WhereAst {
    const args = [this.parseAnd()];
    while (this.acceptWord('or')) args.push(this.parseAnd());
    return args.length === 1 ? args[0]! : { kind: 'or', args };
  }

  private parseAnd(): WhereAst {
    const args = [this.parseNot()];
    while (this.acceptWord('and')) args.push(this.parseNot());
    return args.length === 1 ? args[0]! : { kind: 'and', args };
  }

  private parseNot(): WhereAst {
    const token = this.peek();
    if (!this.isWord(token, 'not')) return this.parseIs();
    this.index++;
    this.enter(token.position);
    const arg = this.parseNot();
    this.depth--;
    return { kind: 'not', arg };
  }

  private parseIs(): WhereAst {
    const operand = this.parseTest();
    if (!this.acceptWord('is')) return operand;
    const negated = this.acceptWord('not');
    const token = this.next();
    let test: IsTest;
    if (this.isWord(token, 'null')) test = 'null';
    else if (this.isWord(token, 'true')) test = 'true';
    else if (this.isWord(token, 'false')) test = 'false';
    else if (this.isWord(token, 'unknown')) test = 'unknown';
    else if (token.kind === 'word' && (token.value === 'distinct' || token.value === 'json' || token.value === 'document' || token.value === 'normalized')) {
      throw unsupported(`IS ${negated ? 'NOT ' : ''}${token.raw.toUpperCase()} test`, `IS ${token.raw}`, token.position);
    } else {
      throw this.unexpected(token, 'NULL, TRUE, FALSE or UNKNOWN after IS');
    }
    const after = this.peek();
    if (this.isWord(after, 'is')) {
      throw new WhereError('Chained IS tests are not supported {at}: add parentheses', after.position);
    }
    return { kind: 'is', negated, test, operand };
  }

  private parseTest(): WhereAst {
    const left = this.parsePrimary();
    const token = this.peek();
    if (token.kind === 'op') {
      if (token.value === '-') throw unsupported('arithmetic operator', '-', token.position);
      this.index++;
      const right = this.parsePrimary();
      return { kind: 'compare', op: token.value, left: this.operand(left, token), right: this.operand(right, token) };
    }
    let negated = false;
    if (this.isWord(token, 'not')) {
      const following = this.peek(1);
      if (this.isWord(following, 'in') || this.isWord(following, 'like') || this.isWord(following, 'ilike')) {
        negated = true;
        this.index++;
      } else {
        throw this.unexpected(token, 'an operator, AND, OR or the end of the clause');
      }
    }
    const keyword = this.peek();
    if (this.isWord(keyword, 'in')) {
      this.index++;
      const open = this.next();
      if (open.kind !== 'lparen') throw this.unexpected(open, '"(" after IN');
      const items: Operand[] = [];
      for (;;) {
        items.push(this.operand(this.parsePrimary(), keyword));
        const separator = this.next();
        if (separator.kind === 'rparen') break;
        if (separator.kind !== 'comma') throw this.unexpected(separator, '"," or ")" in the IN list');
      }
      return { kind: 'in', negated, operand: this.operand(left, keyword), items };
    }
    if (this.isWord(keyword, 'like') || this.isWord(keyword, 'ilike')) {
      this.index++;
      const pattern = this.parsePrimary();
      if (this.isWord(this.peek(), 'escape')) {
        throw unsupported('LIKE ... ESCAPE clause (the escape character is always backslash)', 'ESCAPE', this.peek().position);
      }
      return {
        kind: 'like',
        negated,
        caseInsensitive: this.isWord(keyword, 'ilike'),
        operand: this.operand(left, keyword),
        pattern: this.operand(pattern, keyword),
      };
    }
    return left;
  }

  /** Comparison, IN and LIKE operands must be plain values; `(a = b) = c` is not supported. */
  private operand(node: WhereAst, operator: Token): Operand {
    if (isOperand(node)) return node;
    throw new WhereError(
      `Unsupported operand {at}: the operands of ${describe(operator)} must be columns, literals or $n parameters`,
      positionOf(node),
    );
  }

  private parsePrimary(): WhereAst {
    const token = this.next();
    switch (token.kind) {
      case 'lparen': {
        const inner = this.peek();
        if (inner.kind === 'word' && SUBQUERY_WORDS.has(inner.value) && inner.value !== 'exists') {
          throw unsupported('subquery', `(${inner.raw}`, token.position);
        }
        this.enter(token.position);
        const node = this.parseOr();
        this.depth--;
        const close = this.next();
        if (close.kind === 'comma') {
          throw unsupported('row constructor', '(…,', token.position);
        }
        if (close.kind !== 'rparen') {
          if (close.kind === 'eof') {
            throw new WhereError('Unbalanced parenthesis "(" {at}: it is never closed', token.position);
          }
          throw this.unexpected(close, '")"');
        }
        return node;
      }
      case 'string':
        return { kind: 'string', value: token.value, position: token.position };
      case 'number':
        return { kind: 'number', text: token.text, position: token.position };
      case 'param':
        return { kind: 'param', index: token.index, position: token.position };
      case 'op': {
        const number = this.peek();
        if (token.value === '-' && number.kind === 'number') {
          this.index++;
          return { kind: 'number', text: `-${number.text}`, position: token.position };
        }
        if (token.value === '-') throw unsupported('arithmetic operator', '-', token.position);
        throw this.unexpected(token, 'a column, a literal or a $n parameter');
      }
      case 'quotedIdent':
        return this.column(token.value, token, `"${token.value.replaceAll('"', '""')}"`);
      case 'word': {
        if (token.value === 'true' || token.value === 'false') {
          return { kind: 'boolean', value: token.value === 'true', position: token.position };
        }
        if (token.value === 'null') return { kind: 'null', position: token.position };
        if (KEYWORDS.has(token.value)) throw this.unexpected(token, 'a column, a literal or a $n parameter');
        if (SUBQUERY_WORDS.has(token.value)) throw unsupported('subquery', token.raw, token.position);
        if (this.peek().kind === 'lparen') throw unsupported('function call', `${token.raw}(`, token.position);
        if (RESERVED.has(token.value)) throw unsupported('keyword', token.raw, token.position);
        return this.column(token.value, token, token.raw);
      }
      default:
        throw this.unexpected(token, 'a column, a literal or a $n parameter');
    }
  }

  private column(name: string, token: Token, shown: string): WhereAst {
    const next = this.peek();
    if (next.kind === 'lparen') throw unsupported('function call', `${shown}(`, token.position);
    if (next.kind === 'string') throw unsupported('typed literal', `${shown} '…'`, token.position);
    return { kind: 'column', name, position: token.position };
  }
}

export type { ComparisonOperator };
