import { describe, expect, test } from 'vitest';
import { bindWhere } from './bind.ts';
import type { BoundWhere } from './bound.ts';
import { compileWhere } from './compile-sql.ts';
import { parseWhere } from './parser.ts';
import type { ColumnTypes } from './pg-type.ts';
import { WhereError } from './where-error.ts';

const ORDERS = {
  id: 'uuid',
  status: 'text',
  code: 'bpchar',
  note: 'varchar',
  total_minor: 'int8',
  qty: 'int4',
  small: 'int2',
  amount: 'numeric',
  ratio: 'float4',
  score: 'float8',
  paid: 'bool',
  placed_on: 'date',
  placed_at: 'timestamptz',
  local_at: 'timestamp',
  tags: '_text',
  meta: 'jsonb',
  raw: 'json',
  CamelCase: 'text',
} as const satisfies ColumnTypes;

const bind = (text: string, params: Record<string, string> = {}): BoundWhere => bindWhere(parseWhere(text), ORDERS, params);

function rejection(text: string, params: Record<string, string> = {}): WhereError {
  try {
    bind(text, params);
  } catch (error) {
    if (error instanceof WhereError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('columns', () => {
  test('an unknown column is refused with its name and position', () => {
    const error = rejection('status = $1 AND nope > 1', { '1': 'x' });
    expect(error.message).toBe('Unknown column "nope" at position 17');
    expect(error.position).toBe(17);
  });

  test('a bare name that only matches a capitalised column says how to quote it', () => {
    expect(rejection('camelcase = 1').message).toBe('Unknown column "camelcase" at position 1; did you mean "CamelCase"? Names with capitals must be double-quoted');
    expect(() => bind(`"CamelCase" = 'x'`)).not.toThrow();
  });

  test('inherited object keys are not columns', () => {
    expect(rejection('constructor = 1').message).toMatch(/^Unknown column "constructor"/);
    expect(rejection('"__proto__" = 1').message).toMatch(/^Unknown column "__proto__"/);
  });

  test.each(['tags', 'meta', 'raw'])('a %s column (array/JSON) cannot be filtered on at all', (name) => {
    expect(rejection(`${name} IS NULL`).message).toMatch(new RegExp(`^Column "${name}" at position 1 has type \\w+, which cannot be used in a where clause`));
  });

  test('a column type the engine does not know is refused, not guessed at', () => {
    const columns = { span: 'interval' } as unknown as ColumnTypes;
    expect(() => bindWhere(parseWhere("span = '1 day'"), columns, {})).toThrow(/has type interval, which cannot be used/);
  });

  test('the bound clause lists the columns it reads', () => {
    expect(bind("status = 'x' OR (qty > 1 AND status <> 'y') OR paid").columns).toEqual(['paid', 'qty', 'status']);
  });
});

describe('parameters', () => {
  test('a referenced parameter without a value is refused', () => {
    expect(rejection('status = $1 AND qty = $2', { '1': 'x' }).message).toBe('Missing value for parameter $2 at position 23: send it as params[2]');
  });

  test('a value for a parameter the clause does not use is refused', () => {
    expect(rejection('status = $1', { '1': 'x', '2': 'y' }).message).toBe('params[2] was sent but the where clause has no $2');
  });

  test('parameters must be numbered without gaps', () => {
    expect(rejection('status = $1 AND qty = $3', { '1': 'x', '3': '4' }).message).toMatch(/uses parameters up to \$3 but not \$2/);
  });

  test('parameter names must be plain positive numbers', () => {
    for (const key of ['0', '01', 'a', '1.0', '-1', '']) {
      expect(rejection('status = $1', { '1': 'x', [key]: 'y' }).message).toMatch(/^Invalid parameter name params\[/);
    }
  });

  test('a repeated query-string key (an array at runtime) is refused', () => {
    const params = { '1': ['a', 'b'] } as unknown as Record<string, string>;
    expect(rejection('status = $1', params).message).toBe('params[1] must be given once, as a single string');
  });

  test('one parameter may be used several times', () => {
    expect(compileWhere(bind('status = $1 OR note = $1', { '1': 'x' }), 1).values).toEqual(['x', 'x']);
  });

  test('a bad uuid parameter is refused at bind time with the parameter number and column', () => {
    expect(rejection('id = $1', { '1': 'abc' }).message).toBe(
      'Invalid uuid value for parameter $1 at position 6 (column "id" (uuid)): expected a UUID such as 0b9a5f6e-3c1d-4f2a-9e8b-7c6d5e4f3a2b',
    );
  });

  test.each([
    ['qty = $1', '1.5', /Invalid int4 value for parameter \$1 .*expected a whole number for int4/],
    ['qty = $1', '2147483648', /2147483648 is out of range for int4/],
    ['small = $1', '-32769', /out of range for int2/],
    ['total_minor = $1', '9223372036854775808', /out of range for int8/],
    ['qty = $1', ' 1', /expected a whole number/],
    ['amount = $1', '1,5', /expected a decimal number for numeric/],
    ['amount = $1', '1e5000', /exponent is outside/],
    ['score = $1', '1e400', /out of range for float8/],
    ['score = $1', '1e-400', /too close to zero for float8/],
    ['ratio = $1', '1e39', /out of range for float4/],
    ['paid = $1', 'maybe', /expected true or false/],
    ['placed_on = $1', '2026-02-30', /expected a date as YYYY-MM-DD/],
    ['placed_on = $1', '0000-01-01', /expected a date/],
    ['placed_on = $1', '24/11/2026', /expected a date/],
    ['placed_at = $1', '2026-11-24 10:00', /with a UTC offset/],
    ['placed_at = $1', '2026-11-24T10:00:00 05:30', /with a UTC offset/],
    ['placed_at = $1', '2026-11-24T24:00:00Z', /with a UTC offset/],
    ['placed_at = $1', '2026-11-24T10:00:00+16:00', /UTC offset is out of range/],
    ['local_at = $1', '2026-11-24 10:00+02', /without a UTC offset/],
    ['status = $1', 'a\u0000b', /NUL character/],
    ['status = $1', 'a\udc00', /unpaired UTF-16 surrogate/],
  ])('%s with params[1]=%j is refused', (text, value, message) => {
    expect(rejection(text, { '1': value }).message).toMatch(message);
  });

  test('a quoted literal is read as the column type just like a parameter', () => {
    expect(rejection("qty = '1.5'").message).toMatch(/^Invalid int4 value for literal '1.5' at position 7/);
    expect(compileWhere(bind("id = '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}'"), 1).values).toEqual(['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']);
  });
});

describe('typing', () => {
  test('values are sent in canonical form, so Postgres reads exactly what memory compares', () => {
    const compiled = compileWhere(
      bind('placed_at >= $1 AND placed_on < $2 AND local_at > $3 AND amount = $4 AND paid = $5 AND qty = $6 AND score > $7', {
        '1': '2026-11-24T19:23:01.1234565+05:30',
        '2': 'infinity',
        '3': '2026-11-24',
        '4': '1.50e1',
        '5': 'YES',
        '6': '+007',
        '7': '-inf',
      }),
      1,
    );
    expect(compiled.values).toEqual(['2026-11-24 13:53:01.123456+00', 'infinity', '2026-11-24 00:00:00.000000', '15.0', 'true', '7', '-Infinity']);
  });

  test('a timestamptz offset that moves the instant into 1 BC is written with BC', () => {
    expect(compileWhere(bind('placed_at < $1', { '1': '0001-01-01T00:30:00+01:00' }), 1).values).toEqual(['0001-12-31 23:30:00.000000+00 BC']);
  });

  test.each([
    ["status = 1", /Cannot compare column "status" \(text\) with the number 1 at position 10; quote it \('1'\) to compare as text/],
    ['paid = 1', /Cannot compare column "paid" \(bool\) with the number 1/],
    ['qty = TRUE', /Cannot compare column "qty" \(int4\) with the boolean TRUE/],
    ['placed_at = placed_on', /Cannot compare column "placed_at" \(timestamptz\) with column "placed_on" \(date\) at position 13/],
    ['local_at = placed_at', /Cannot compare column "local_at" \(timestamp\) with column "placed_at" \(timestamptz\)/],
    ['amount = score', /Cannot compare column "amount" \(numeric\) with column "score" \(float8\)/],
    ['id = status', /Cannot compare column "id" \(uuid\) with column "status" \(text\)/],
    ["qty LIKE 'x'", /LIKE needs a text column, but column "qty" \(int4\) at position 1 is not one/],
    ['status LIKE note', /The LIKE pattern must be a string literal or a \$n parameter, not column "note"/],
    ["status LIKE 'a\\'", /The LIKE pattern at position 13 ends with a lone backslash/],
    ['status ILIKE $1', /The ILIKE pattern at position 14 ends with a lone backslash/],
    ['status IN (note)', /IN list items must be literals or \$n parameters, not column "note"/],
    ['qty', /Column "qty" at position 1 has type int4, but a condition must be boolean/],
    ['qty IS TRUE', /Column "qty" at position 1 has type int4, but a condition must be boolean/],
    ['1', /The number 1 at position 1 is not a condition/],
    ["'maybe'", /Invalid bool value for literal 'maybe'/],
    ['1 = TRUE', /Cannot compare a number with a boolean/],
    ["1 = 'x'", /Invalid int4 value for literal 'x'/],
    ["1 = '3000000000'", /out of range for int4/],
  ])('%s is refused', (text, message) => {
    expect(rejection(text, text.includes('$1') ? { '1': 'a\\' } : {}).message).toMatch(message);
  });

  test('column-free comparisons are decided at bind time', () => {
    const decided = (text: string, params: Record<string, string> = {}) => bind(text, params).root;
    expect(decided('1 = 1')).toEqual({ kind: 'constant', value: true });
    expect(decided("'10' > '9'")).toEqual({ kind: 'constant', value: false });
    expect(decided("10 > '9'")).toEqual({ kind: 'constant', value: true });
    expect(decided('1.0 = 1')).toEqual({ kind: 'constant', value: true });
    expect(decided('NULL = NULL')).toEqual({ kind: 'constant', value: null });
    expect(decided('2 IN (1, NULL)')).toEqual({ kind: 'constant', value: null });
    expect(decided('2 NOT IN (1, 3)')).toEqual({ kind: 'constant', value: true });
    expect(decided("'abc' LIKE 'a%'")).toEqual({ kind: 'constant', value: true });
    expect(decided("'t' AND $1", { '1': 'off' })).toEqual({ kind: 'and', args: [{ kind: 'constant', value: true }, { kind: 'constant', value: false }] });
    expect(decided("$1 IS NULL", { '1': 'x' })).toEqual({ kind: 'constant', value: false });
    expect(decided('status = NULL')).toEqual({ kind: 'constant', value: null });
    expect(decided('status IN (NULL, NULL)')).toEqual({ kind: 'constant', value: null });
    expect(decided('status LIKE NULL')).toEqual({ kind: 'constant', value: null });
    expect(decided('(1 = 2) IS FALSE')).toEqual({ kind: 'constant', value: true });
  });

  test('a value on the left is moved right with the operator flipped', () => {
    expect(compileWhere(bind('5 < qty AND 5 >= small'), 1).sql).toBe('(("qty" > $1::text::int8) AND ("small" <= $2::text::int8))');
  });
});
