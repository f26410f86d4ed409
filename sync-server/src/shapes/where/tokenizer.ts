/**
 * Lexer for the where-clause subset. It follows Postgres's lexer (scan.l) wherever the two could
 * disagree about where a token ends, so that anything it accepts means the same to a reader who
 * knows Postgres — and rejects, with a position, every lexical form it does not support
 * (comments, casts, dollar quotes, E'' strings, `;`, exotic operators, …).
 */
import { ALLOWED_CONSTRUCTS, WhereError } from './where-error.ts';

export const MAX_WHERE_LENGTH = 4000;

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Token =
  /** A bare word, lower-cased (ASCII only, as Postgres does); keywords are decided by the parser. */
  | { readonly kind: 'word'; readonly value: string; readonly raw: string; readonly position: number }
  | { readonly kind: 'quotedIdent'; readonly value: string; readonly position: number }
  | { readonly kind: 'string'; readonly value: string; readonly position: number }
  /** Unsigned decimal digits with an optional fraction, exactly as written. */
  | { readonly kind: 'number'; readonly text: string; readonly position: number }
  | { readonly kind: 'param'; readonly index: number; readonly position: number }
  | { readonly kind: 'op'; readonly value: ComparisonOperator | '-'; readonly position: number }
  | { readonly kind: 'lparen' | 'rparen' | 'comma' | 'eof'; readonly position: number };

const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\f', '\v']);
/** Postgres operator characters (scan.l `op_chars`). */
const OP_CHARS = new Set(['~', '!', '@', '#', '^', '&', '|', '`', '?', '+', '-', '*', '/', '%', '<', '>', '=']);
/** A multi-character operator keeps a trailing + or - only if it contains one of these. */
const OP_KEEPS_SIGN = new Set(['~', '!', '@', '#', '^', '&', '|', '`', '?', '%']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '^']);
const MAX_PARAM = 10_000;

function isIdentStart(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_' || ch.charCodeAt(0) >= 0x80;
}

function isIdentContinue(ch: string): boolean {
  return isIdentStart(ch) || (ch >= '0' && ch <= '9') || ch === '$';
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** Postgres lower-cases unquoted identifiers in ASCII only (multi-byte encodings). */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

function unsupported(what: string, token: string, position: number): WhereError {
  return new WhereError(`Unsupported ${what} "${token}" {at}: ${ALLOWED_CONSTRUCTS}`, position);
}

export function tokenize(text: string): Token[] {
  if (text.length > MAX_WHERE_LENGTH) {
    throw new WhereError(`The where clause is ${text.length} characters long; at most ${MAX_WHERE_LENGTH} are allowed`);
  }
  // A lone surrogate cannot be sent to Postgres as UTF-8 unchanged, so nothing could match it exactly.
  const lone = /\p{Surrogate}/u.exec(text);
  if (lone) throw new WhereError('Invalid character (unpaired UTF-16 surrogate) {at}', lone.index + 1);

  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const position = i + 1;
    if (WHITESPACE.has(ch)) {
      i++;
      continue;
    }
    if (text.startsWith('--', i) || text.startsWith('/*', i)) {
      throw unsupported('comment', text.slice(i, i + 2), position);
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma', position });
      i++;
      continue;
    }
    if (ch === "'") {
      const { value, end } = readQuoted(text, i, "'", 'string literal');
      tokens.push({ kind: 'string', value, position });
      i = end;
      continue;
    }
    if (ch === '"') {
      const { value, end } = readQuoted(text, i, '"', 'quoted identifier');
      if (value === '') throw new WhereError('Zero-length quoted identifier "" {at}', position);
      tokens.push({ kind: 'quotedIdent', value, position });
      i = end;
      continue;
    }
    if (isDigit(ch) || (ch === '.' && isDigit(text[i + 1]))) {
      let end = i;
      while (isDigit(text[end])) end++;
      if (text[end] === '.') {
        end++;
        while (isDigit(text[end])) end++;
      }
      const next = text[end];
      if (next !== undefined && (isIdentContinue(next) || next === '.')) {
        let junk = end;
        while (junk < text.length && (isIdentContinue(text[junk]!) || text[junk] === '.')) junk++;
        throw unsupported('number literal (only plain decimals such as 42, -7 or 12.50 are allowed)', text.slice(i, junk), position);
      }
      tokens.push({ kind: 'number', text: text.slice(i, end), position });
      i = end;
      continue;
    }
    if (ch === '$') {
      let end = i + 1;
      while (isDigit(text[end])) end++;
      if (end === i + 1) throw unsupported('dollar quoting', text.slice(i, i + 2), position);
      const next = text[end];
      if (next !== undefined && isIdentContinue(next)) {
        throw new WhereError(`Invalid parameter "${text.slice(i, end + 1)}" {at}: parameters are $1, $2, …`, position);
      }
      const index = Number(text.slice(i + 1, end));
      if (index < 1 || index > MAX_PARAM) {
        throw new WhereError(`Invalid parameter "${text.slice(i, end)}" {at}: parameters are numbered from $1`, position);
      }
      tokens.push({ kind: 'param', index, position });
      i = end;
      continue;
    }
    if (isIdentStart(ch)) {
      let end = i + 1;
      while (end < text.length && isIdentContinue(text[end]!)) end++;
      const raw = text.slice(i, end);
      if (text[end] === "'") {
        throw unsupported('prefixed string literal (E\'\', B\'\', X\'\', N\'\')', `${raw}'`, position);
      }
      tokens.push({ kind: 'word', value: asciiLower(raw), raw, position });
      i = end;
      continue;
    }
    if (OP_CHARS.has(ch)) {
      const op = readOperator(text, i);
      i += op.length;
      if (op === '=' || op === '<>' || op === '<' || op === '<=' || op === '>' || op === '>=' || op === '-') {
        tokens.push({ kind: 'op', value: op, position });
      } else if (op === '!=') {
        tokens.push({ kind: 'op', value: '<>', position });
      } else if (op === '||') {
        throw unsupported('string concatenation operator', op, position);
      } else if (ARITHMETIC.has(op)) {
        throw unsupported('arithmetic operator', op, position);
      } else {
        throw unsupported('operator', op, position);
      }
      continue;
    }
    if (ch === ';') throw unsupported('statement separator', ch, position);
    if (ch === ':') throw unsupported(text[i + 1] === ':' ? 'cast' : 'character', text[i + 1] === ':' ? '::' : ch, position);
    if (ch === '.') throw unsupported('qualified name', ch, position);
    if (ch === '[' || ch === ']') throw unsupported('array subscript', ch, position);
    const shown = ch.charCodeAt(0) < 0x20 || ch === '\u007f' ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch;
    throw unsupported('character', shown, position);
  }
  tokens.push({ kind: 'eof', position: text.length + 1 });
  return tokens;
}

function readQuoted(text: string, start: number, quote: "'" | '"', what: string): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    const next = text.indexOf(quote, i);
    if (next === -1) throw new WhereError(`Unterminated ${what} {at}`, start + 1);
    value += text.slice(i, next);
    if (text[next + 1] === quote) {
      value += quote;
      i = next + 2;
      continue;
    }
    if (value.includes('\u0000')) throw new WhereError(`Invalid NUL character in ${what} {at}`, start + 1);
    return { value, end: next + 1 };
  }
}

/** Longest run of operator characters, cut as Postgres cuts it (comment starts, trailing +/-). */
function readOperator(text: string, start: number): string {
  let end = start;
  while (end < text.length && OP_CHARS.has(text[end]!)) {
    if (end > start && (text.startsWith('--', end) || text.startsWith('/*', end))) break;
    end++;
  }
  let op = text.slice(start, end);
  const last = op[op.length - 1];
  if (op.length > 1 && (last === '+' || last === '-') && ![...op].some((c) => OP_KEEPS_SIGN.has(c))) {
    while (op.length > 1 && (op.endsWith('+') || op.endsWith('-'))) op = op.slice(0, -1);
  }
  return op;
}
