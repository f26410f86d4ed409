import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Operand, WhereAst } from './ast.ts';
import { parseWhere } from './parser.ts';
import { printWhere } from './print-where.ts';
import { WhereError } from './where-error.ts';

/** The AST without positions, to compare shapes. */
function shape(node: WhereAst): unknown {
  return JSON.parse(JSON.stringify(node, (key, value: unknown) => (key === 'position' ? undefined : value)));
}

const col = (name: string) => ({ kind: 'column', name });
const num = (text: string) => ({ kind: 'number', text });
const str = (value: string) => ({ kind: 'string', value });
const param = (index: number) => ({ kind: 'param', index });
const cmp = (left: unknown, op: string, right: unknown) => ({ kind: 'compare', op, left, right });

function rejection(text: string): WhereError {
  try {
    parseWhere(text);
  } catch (error) {
    if (error instanceof WhereError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('accepted grammar', () => {
  test('the shape request from the protocol doc parses into two ANDed comparisons', () => {
    expect(shape(parseWhere('status = $1 AND total_minor > 100'))).toEqual({
      kind: 'and',
      args: [cmp(col('status'), '=', param(1)), cmp(col('total_minor'), '>', num('100'))],
    });
  });

  test('bare identifiers are lower-cased and quoted ones keep their case and "" escapes', () => {
    expect(shape(parseWhere('Status = "MixedCase" AND "we""ird" = "x y"'))).toEqual({
      kind: 'and',
      args: [cmp(col('status'), '=', col('MixedCase')), cmp(col('we"ird'), '=', col('x y'))],
    });
  });

  test('literals: strings with doubled quotes, decimals, negatives, booleans and NULL', () => {
    expect(shape(parseWhere("a = 'it''s' OR b = -12.50 OR c = .5 OR d = 5. OR e = TRUE OR f = false OR g = null"))).toEqual({
      kind: 'or',
      args: [
        cmp(col('a'), '=', str("it's")),
        cmp(col('b'), '=', num('-12.50')),
        cmp(col('c'), '=', num('.5')),
        cmp(col('d'), '=', num('5.')),
        cmp(col('e'), '=', { kind: 'boolean', value: true }),
        cmp(col('f'), '=', { kind: 'boolean', value: false }),
        cmp(col('g'), '=', { kind: 'null' }),
      ],
    });
  });

  test('backslashes in strings are literal (standard_conforming_strings)', () => {
    expect(shape(parseWhere("a = 'x\\y'"))).toEqual(cmp(col('a'), '=', str('x\\y')));
  });

  test('every comparison operator, with != read as <>', () => {
    for (const op of ['=', '<>', '<', '<=', '>', '>=']) {
      expect(shape(parseWhere(`a ${op} 1`))).toEqual(cmp(col('a'), op, num('1')));
    }
    expect(shape(parseWhere('a != 1'))).toEqual(cmp(col('a'), '<>', num('1')));
  });

  test('a minus glued to an operator is split off as Postgres does (a=-5, a<>-5)', () => {
    expect(shape(parseWhere('a=-5'))).toEqual(cmp(col('a'), '=', num('-5')));
    expect(shape(parseWhere('a<>-5'))).toEqual(cmp(col('a'), '<>', num('-5')));
    expect(shape(parseWhere('a>=- 5'))).toEqual(cmp(col('a'), '>=', num('-5')));
  });

  test('keywords are case-insensitive', () => {
    expect(shape(parseWhere('a iS nOt NuLl aNd b NoT iLiKe $1'))).toEqual({
      kind: 'and',
      args: [
        { kind: 'is', negated: true, test: 'null', operand: col('a') },
        { kind: 'like', negated: true, caseInsensitive: true, operand: col('b'), pattern: param(1) },
      ],
    });
  });

  test('IN and NOT IN lists, with NULL and parenthesised items', () => {
    expect(shape(parseWhere('a IN (1, $1, NULL, (2))'))).toEqual({
      kind: 'in',
      negated: false,
      operand: col('a'),
      items: [num('1'), param(1), { kind: 'null' }, num('2')],
    });
    expect(shape(parseWhere("a not in ('x')"))).toEqual({ kind: 'in', negated: true, operand: col('a'), items: [str('x')] });
  });

  test('IS [NOT] TRUE / FALSE / UNKNOWN apply to whole conditions', () => {
    expect(shape(parseWhere('(a = 1) IS NOT TRUE'))).toEqual({ kind: 'is', negated: true, test: 'true', operand: cmp(col('a'), '=', num('1')) });
    expect(shape(parseWhere('a = 1 IS UNKNOWN'))).toEqual({ kind: 'is', negated: false, test: 'unknown', operand: cmp(col('a'), '=', num('1')) });
    expect(shape(parseWhere('active IS FALSE'))).toEqual({ kind: 'is', negated: false, test: 'false', operand: col('active') });
  });

  test('precedence: NOT binds tighter than AND, AND tighter than OR, comparisons tighter than NOT', () => {
    expect(shape(parseWhere('a = 1 OR b = 2 AND NOT c = 3'))).toEqual({
      kind: 'or',
      args: [cmp(col('a'), '=', num('1')), { kind: 'and', args: [cmp(col('b'), '=', num('2')), { kind: 'not', arg: cmp(col('c'), '=', num('3')) }] }],
    });
    expect(shape(parseWhere('NOT a IS NULL'))).toEqual({ kind: 'not', arg: { kind: 'is', negated: false, test: 'null', operand: col('a') } });
  });

  test('parentheses override precedence and a chain stays one n-ary node', () => {
    expect(shape(parseWhere('(a OR b) AND c AND d'))).toEqual({
      kind: 'and',
      args: [{ kind: 'or', args: [col('a'), col('b')] }, col('c'), col('d')],
    });
  });

  test('a flat chain of hundreds of ANDs is not "nesting"', () => {
    const text = Array.from({ length: 300 }, (_, i) => `a = ${i}`).join(' AND ');
    expect(parseWhere(text)).toMatchObject({ kind: 'and' });
  });

  test('columns named like non-reserved Postgres keywords are columns', () => {
    expect(shape(parseWhere("status = 'x' AND name = 'y' AND position = 1 AND date = '2026-01-01'"))).toMatchObject({ kind: 'and' });
  });

  test('leaves record their 1-based position', () => {
    expect(parseWhere('  abc = $1')).toEqual({
      kind: 'compare',
      op: '=',
      left: { kind: 'column', name: 'abc', position: 3 },
      right: { kind: 'param', index: 1, position: 9 },
    });
  });
});

describe('rejected input names the offending token and its position', () => {
  const cases: [string, RegExp][] = [
    ['1=1) OR (1=1', /^Unbalanced parenthesis "\)" at position 4/],
    ['id = (select 1)', /^Unsupported subquery "\(select" at position 6/],
    ['id IN (select id from t)', /^Unsupported subquery "select" at position 8/],
    ['exists (select 1)', /^Unsupported subquery "exists" at position 1/],
    ['pg_sleep(1) is null', /^Unsupported function call "pg_sleep\(" at position 1: only comparisons, AND\/OR\/NOT, IN, IS \[NOT\] NULL, LIKE\/ILIKE and \$n parameters are allowed$/],
    ['status = lower(name)', /^Unsupported function call "lower\(" at position 10/],
    ['"pg_sleep"(1)', /^Unsupported function call ""pg_sleep"\(" at position 1/],
    ['id = 1; drop table x', /^Unsupported statement separator ";" at position 7/],
    ['a = 1 -- x', /^Unsupported comment "--" at position 7/],
    ['a = 1 /* x */', /^Unsupported comment "\/\*" at position 7/],
    ['a=--1', /^Unsupported comment "--" at position 3/],
    ["a::text = 'x'", /^Unsupported cast "::" at position 2/],
    ['a + 1 = 2', /^Unsupported arithmetic operator "\+" at position 3/],
    ['a = 2 - 1', /^Unsupported arithmetic operator "-" at position 7/],
    ['a = 2 * b', /^Unsupported arithmetic operator "\*" at position 7/],
    ["a || 'x' = 'y'", /^Unsupported string concatenation operator "\|\|" at position 3/],
    ['a !=- 1', /^Unsupported operator "!=-" at position 3/],
    ['a == 1', /^Unsupported operator "==" at position 3/],
    ['a ~ 1', /^Unsupported operator "~" at position 3/],
    ["a = E'x'", /^Unsupported prefixed string literal .* "E'" at position 5/],
    ['a = $$x$$', /^Unsupported dollar quoting "\$\$" at position 5/],
    ['a = $tag$x$tag$', /^Unsupported dollar quoting "\$t" at position 5/],
    ['t.a = 1', /^Unsupported qualified name "\." at position 2/],
    ['a[1] = 1', /^Unsupported array subscript "\[" at position 2/],
    ['a = 1e5', /^Unsupported number literal .* "1e5" at position 5/],
    ['a = 0x1F', /^Unsupported number literal .* "0x1F" at position 5/],
    ["a = timestamp '2026-01-01'", /^Unsupported typed literal "timestamp '…'" at position 5/],
    ['a BETWEEN 1 AND 2', /^Unsupported keyword "BETWEEN" at position 3/],
    ['a IS DISTINCT FROM b', /^Unsupported IS DISTINCT test "IS DISTINCT" at position 6/],
    ["a LIKE 'x' ESCAPE '!'", /^Unsupported LIKE \.\.\. ESCAPE clause .* at position 12/],
    ['user = 1', /^Unsupported keyword "user" at position 1/],
    ['a = current_date', /^Unsupported keyword "current_date" at position 5/],
    ['CASE WHEN a THEN b END', /^Unsupported keyword "CASE" at position 1/],
    ['a ISNULL', /^Unsupported keyword "ISNULL" at position 3/],
    ['(a = 1', /^Unbalanced parenthesis "\(" at position 1: it is never closed/],
    ['a = 1)', /^Unbalanced parenthesis "\)" at position 6/],
    ['a = 1 = 2', /^Unexpected "=" at position 7/],
    ['a = b LIKE c', /^Unexpected "LIKE" at position 7/],
    ['(a = 1) = TRUE', /^Unsupported operand at position 2/],
    ['a IN ()', /^Unexpected "\)" at position 7/],
    ['a IN (1, 2', /^Unexpected end of input at position 11/],
    ["a = 'unterminated", /^Unterminated string literal at position 5/],
    ['"" = 1', /^Zero-length quoted identifier/],
    ['a IS NULL IS NULL', /^Chained IS tests are not supported at position 11/],
    ['a = 1 b = 2', /^Unexpected "b" at position 7/],
    ["a = 'x' 'y'", /^Unexpected string literal at position 9/],
    ['(a, b) = (1, 2)', /^Unsupported row constructor/],
    ['$0 = a', /^Invalid parameter "\$0" at position 1/],
    ['$1a = a', /^Invalid parameter "\$1a" at position 1/],
    ['a = @b', /^Unsupported operator "@" at position 5/],
    ['a = 1 \u0000', /^Unsupported character "\\u0000" at position 7/],
    ['a = 1 \ud800', /^Invalid character \(unpaired UTF-16 surrogate\) at position 7/],
  ];
  test.each(cases)('%j', (text, message) => {
    const error = rejection(text);
    expect(error.code).toBe('INVALID_WHERE');
    expect(error.name).toBe('WhereError');
    expect(error.message).toMatch(message);
  });

  test('empty and blank input is refused', () => {
    expect(rejection('').message).toBe('The where clause is empty');
    expect(rejection(' \n\t ').message).toBe('The where clause is empty');
  });

  test('input over 4,000 characters is refused before it is read', () => {
    expect(() => parseWhere(`a = '${'x'.repeat(3994)}'`)).not.toThrow();
    expect(rejection(`a = '${'x'.repeat(3995)}'`).message).toMatch(/4001 characters long; at most 4000/);
  });

  test('nesting deeper than 50 levels is refused, parentheses and NOTs alike', () => {
    expect(() => parseWhere(`${'('.repeat(50)}a${')'.repeat(50)}`)).not.toThrow();
    expect(rejection(`${'('.repeat(51)}a${')'.repeat(51)}`).message).toMatch(/nested deeper than 50 levels at position 51/);
    expect(rejection(`${'NOT '.repeat(51)}a`).message).toMatch(/nested deeper than 50 levels/);
    expect(rejection(`${'('.repeat(3000)}`).message).toMatch(/nested deeper than 50 levels/);
  });

  test('the error carries the position as a property too', () => {
    expect(rejection('a = 1; x').position).toBe(6);
  });
});

// ---- round trip ----------------------------------------------------------------------------------

const identifier = fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'Z', '"', ' ', "'", 'é', '$', '1', '😀') });
const numberText = fc
  .tuple(fc.boolean(), fc.oneof(fc.stringMatching(/^\d{1,4}$/), fc.stringMatching(/^\d{1,3}\.\d{0,3}$/), fc.stringMatching(/^\.\d{1,3}$/)))
  .map(([negative, digits]) => `${negative ? '-' : ''}${digits}`);
const operand: fc.Arbitrary<Operand> = fc.oneof(
  identifier.map((name) => ({ kind: 'column', name, position: 0 }) as const),
  fc.string({ maxLength: 6, unit: fc.constantFrom('a', "'", '\\', '%', ' ', '"', 'ß', '\n') }).map((value) => ({ kind: 'string', value, position: 0 }) as const),
  numberText.map((text) => ({ kind: 'number', text, position: 0 }) as const),
  fc.boolean().map((value) => ({ kind: 'boolean', value, position: 0 }) as const),
  fc.constant({ kind: 'null', position: 0 } as const),
  fc.integer({ min: 1, max: 99 }).map((index) => ({ kind: 'param', index, position: 0 }) as const),
);
const ast: fc.Arbitrary<WhereAst> = fc.letrec<{ node: WhereAst }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    operand,
    fc.record({ kind: fc.constant('compare' as const), op: fc.constantFrom('=', '<>', '<', '<=', '>', '>=' as const), left: operand, right: operand }),
    fc.record({ kind: fc.constant('in' as const), negated: fc.boolean(), operand, items: fc.array(operand, { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('like' as const), negated: fc.boolean(), caseInsensitive: fc.boolean(), operand, pattern: operand }),
    fc.record({ kind: fc.constant('is' as const), negated: fc.boolean(), test: fc.constantFrom('null', 'true', 'false', 'unknown' as const), operand: tie('node') }),
    fc.record({ kind: fc.constant('not' as const), arg: tie('node') }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), args: fc.array(tie('node'), { minLength: 2, maxLength: 3 }) }),
  ),
})).node;

test('printing any AST and parsing the text gives the same AST back', () => {
  fc.assert(
    fc.property(ast, (tree) => {
      expect(shape(parseWhere(printWhere(tree)))).toEqual(shape(tree));
    }),
    { numRuns: 1000 },
  );
});

test('parsing never throws anything but WhereError, whatever the input', () => {
  const soup = fc.string({
    maxLength: 40,
    unit: fc.constantFrom('a', 'B', ' ', '(', ')', "'", '"', '$', '1', '.', '-', '=', '<', '>', '!', ',', ';', ':', '/', '*', 'and ', 'or ', 'not ', 'in ', 'is ', 'null ', 'like ', 'select '),
  });
  fc.assert(
    fc.property(soup, (text) => {
      try {
        parseWhere(text);
      } catch (error) {
        expect(error).toBeInstanceOf(WhereError);
      }
    }),
    { numRuns: 3000 },
  );
});
