/**
 * Differential test against real Postgres: random rows (NULLs, edge values, mixed-case uuids,
 * timestamps written with different offsets) and random where clauses; the rows Postgres returns
 * for the compiled SQL must be exactly the rows evaluateWhere accepts, given each row as text.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { bindWhere, compileWhere, evaluateWhere, parseWhere, type ColumnTypes } from './index.ts';
import { readInput } from './pg-input.ts';
import type { FilterableType } from './pg-type.ts';

const COLUMNS = {
  id: 'int4',
  c_uuid: 'uuid',
  c_uuid2: 'uuid',
  c_text: 'text',
  c_text2: 'text',
  c_varchar: 'varchar',
  c_bpchar: 'bpchar',
  c_int2: 'int2',
  c_int4: 'int4',
  c_int8: 'int8',
  c_numeric: 'numeric',
  c_numeric2: 'numeric',
  c_float4: 'float4',
  c_float8: 'float8',
  c_bool: 'bool',
  c_bool2: 'bool',
  c_date: 'date',
  c_date2: 'date',
  c_ts: 'timestamp',
  c_ts2: 'timestamp',
  c_tstz: 'timestamptz',
  c_tstz2: 'timestamptz',
  c_tags: '_text',
  c_doc: 'jsonb',
} as const satisfies ColumnTypes;

type ColumnName = Exclude<keyof typeof COLUMNS, 'id' | 'c_tags' | 'c_doc'>;
const FILTERABLE = (Object.keys(COLUMNS) as (keyof typeof COLUMNS)[]).filter(
  (name): name is ColumnName => name !== 'id' && name !== 'c_tags' && name !== 'c_doc',
);

// ---- values ------------------------------------------------------------------------------------

const UUIDS = ['0b9a5f6e-3c1d-4f2a-9e8b-7c6d5e4f3a2b', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '00000000-0000-0000-0000-000000000000', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'];
const TEXT_CHARS = ['a', 'b', 'A', 'B', 'z', '%', '_', '\\', ' ', "'", '"', 'é', 'É', 'ß', 'İ', '😀', '\uE000', '\uFFFD'];
const text = (maxLength: number) => fc.array(fc.constantFrom(...TEXT_CHARS), { maxLength }).map((chars) => chars.join(''));
const caseMix = (value: string) =>
  fc.array(fc.boolean(), { minLength: value.length, maxLength: value.length }).map((upper) => [...value].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

const INT_EDGES = {
  int2: ['-32768', '32767', '0', '1', '-1', '2', '100'],
  int4: ['-2147483648', '2147483647', '0', '1', '-1', '2', '100'],
  int8: ['-9223372036854775808', '9223372036854775807', '0', '1', '-1', '2', '100', '9007199254740993'],
} as const;
const NUMERICS = ['0', '1', '1.5', '1.50', '-0.25', '100', '2', '123456789012345678901234567890.123', '-1e-7', 'NaN', 'Infinity', '-Infinity', '0.1', '10'];
const FLOATS = ['0', '-0', '0.1', '1.5', '-2.25', '1e30', '3.4028235e38', '1e-40', 'NaN', 'Infinity', '-Infinity', '100', '2', '16777217'];
const DATES = ['2026-11-24', '2000-02-29', '1970-01-01', '0001-01-01', '9999-12-31', '2026-11-25', 'infinity', '-infinity'];
const ROW_ONLY_DATES = ['0044-03-15 BC', '4713-01-01 BC', '20000-01-01'];
const TIMESTAMPS = ['2026-11-24 19:23:01.123', '2026-11-24 19:23:01.123001', '2026-11-24 00:00:00', '1850-01-01 00:00:00', '0001-01-02 00:00:00', '9999-12-30 23:59:59.999999', 'infinity', '-infinity'];
const ROW_ONLY_TIMESTAMPS = ['0044-03-15 10:00:00 BC', '20000-01-01 00:00:00'];
/** UTC instants; rows and clauses render them with offsets of their own. */
const INSTANTS = ['2026-11-24 19:23:01.123', '2026-11-24 19:23:01.123001', '2026-03-08 06:30:00', '1850-01-01 00:00:00', '0001-01-02 00:00:00', '9999-12-30 00:00:00', '1970-01-01 00:00:00', '2000-02-29 12:00:00'];
const OFFSETS = ['+00', '+00:00', 'Z', '+05:30', '-03:30', '+14', '-09:00', '+05:53:28', '-00:00'];

/** `instant` (UTC wall clock) written as the same instant at `offset`. */
function atOffset(instant: string, offset: string, separator: string): string {
  const match = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?$/.exec(instant)!;
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h = '0', m = '0', s = '0'] = offset === 'Z' ? [] : offset.slice(1).split(':');
  const shift = sign * ((Number(h) * 60 + Number(m)) * 60 + Number(s));
  const utc = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]));
  const local = new Date(utc + shift * 1000);
  // Date.UTC maps years 0-99 to 1900-1999; fix the year up by hand.
  const year = Number(match[1]) + (local.getUTCFullYear() - new Date(utc).getUTCFullYear());
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${String(year).padStart(4, '0')}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${match[7] ?? ''}`;
  return `${date}${separator}${time}${offset}`;
}

const instantAt = (separators: readonly string[]) =>
  fc.tuple(fc.constantFrom(...INSTANTS), fc.constantFrom(...OFFSETS), fc.constantFrom(...separators)).map(([instant, offset, sep]) => atOffset(instant, offset, sep));

/** Values as Postgres input, for inserting rows. */
function rowValue(type: (typeof COLUMNS)[ColumnName]): fc.Arbitrary<string> {
  switch (type) {
    case 'uuid':
      return fc.constantFrom(...UUIDS).chain(caseMix);
    case 'text':
    case 'varchar':
      return fc.oneof(text(6), fc.constantFrom('a', 'A', 'b', 'ab', 'abc', 'a ', ''));
    case 'bpchar':
      return fc.oneof(text(6), fc.constantFrom('a', 'a  ', 'ab', ''));
    case 'int2':
    case 'int4':
    case 'int8':
      return fc.oneof(fc.constantFrom(...INT_EDGES[type]), fc.integer({ min: -5, max: 5 }).map(String));
    case 'numeric':
      return fc.oneof(fc.constantFrom(...NUMERICS), fc.integer({ min: -500, max: 500 }).map((n) => (n / 100).toString()));
    case 'float4':
      return fc.oneof(fc.constantFrom(...FLOATS.filter((f) => f !== '1e-40' && f !== '1e30')), fc.float({ noDefaultInfinity: true, noNaN: true }).map(String));
    case 'float8':
      return fc.oneof(fc.constantFrom(...FLOATS), fc.double({ noDefaultInfinity: true, noNaN: true }).map(String));
    case 'bool':
      return fc.constantFrom('t', 'f');
    case 'date':
      return fc.constantFrom(...DATES, ...ROW_ONLY_DATES);
    case 'timestamp':
      return fc.constantFrom(...TIMESTAMPS, ...ROW_ONLY_TIMESTAMPS);
    case 'timestamptz':
      return fc.oneof(instantAt([' ', 'T']), fc.constantFrom('infinity', '-infinity', '0044-03-15 10:00:00+00 BC', '1900-06-01 12:00:00.5+02'));
  }
}

/** Values in the syntax the binder accepts for params and quoted literals. */
function clauseValue(type: (typeof COLUMNS)[ColumnName]): fc.Arbitrary<string> {
  switch (type) {
    case 'uuid':
      return fc.oneof(
        fc.constantFrom(...UUIDS).chain(caseMix),
        fc.constantFrom(...UUIDS).map((u) => `{${u}}`),
        fc.constantFrom(...UUIDS).map((u) => u.replaceAll('-', '').toUpperCase()),
      );
    case 'text':
    case 'varchar':
    case 'bpchar':
      return fc.oneof(text(7), fc.constantFrom('a', 'a ', 'A', 'ab', 'abc', ''));
    case 'int2':
    case 'int4':
    case 'int8':
      return fc.oneof(fc.constantFrom(...INT_EDGES[type]), fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('+2', '007', '-0'));
    case 'numeric':
      return fc.oneof(fc.constantFrom(...NUMERICS), fc.constantFrom('1.5e0', '15E-1', '.5', '2.', 'nan', '-inf', '+Infinity', '1e3'));
    case 'float4':
    case 'float8':
      return fc.oneof(fc.constantFrom(...FLOATS), fc.constantFrom('1e-3', '.5', '-INF', 'nan', '0.10000000149011612', '16777216'));
    case 'bool':
      return fc.constantFrom('t', 'f', 'true', 'FALSE', 'yes', 'off', '1', '0', 'y', 'N');
    case 'date':
      return fc.constantFrom(...DATES, 'Infinity', '-INFINITY');
    case 'timestamp':
      return fc.oneof(fc.constantFrom(...TIMESTAMPS), fc.constantFrom('2026-11-24', '2026-11-24T19:23:01.1229995', '2026-11-24 19:23', '1850-01-01T00:00:00.0000004'));
    case 'timestamptz':
      return fc.oneof(instantAt([' ', 'T']), fc.constantFrom('infinity', '-infinity', '2026-11-24T19:23:01.1230004Z', '2026-11-24 21:23:01.123 +0200'));
  }
}

/** Number literals (unquoted) for exact and float columns. */
const numberLiteral = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map(String),
  fc.constantFrom('2.5', '1.50', '-0.25', '.5', '2.', '40000', '-40000', '3000000000', '99999999999999999999', '0.1', '16777217', '1.5'),
);

// ---- clauses -----------------------------------------------------------------------------------

const TEXTUAL: readonly ColumnName[] = ['c_text', 'c_text2', 'c_varchar', 'c_bpchar'];
const PAIRS: readonly [ColumnName, ColumnName][] = [
  ['c_uuid', 'c_uuid2'], ['c_text', 'c_text2'], ['c_text', 'c_varchar'], ['c_text', 'c_bpchar'], ['c_varchar', 'c_bpchar'],
  ['c_bpchar', 'c_varchar'], ['c_bpchar', 'c_bpchar'], ['c_int2', 'c_int4'], ['c_int4', 'c_int8'], ['c_int8', 'c_numeric'],
  ['c_int2', 'c_numeric2'], ['c_numeric', 'c_numeric2'], ['c_float4', 'c_float8'], ['c_float8', 'c_float8'], ['c_bool', 'c_bool2'],
  ['c_date', 'c_date2'], ['c_ts', 'c_ts2'], ['c_tstz', 'c_tstz2'],
];

interface Rendered {
  readonly text: string;
  readonly params: string[];
}
/** A clause that writes itself, appending its parameter values. */
type Clause = (params: string[]) => string;

const op = fc.constantFrom('=', '<>', '!=', '<', '<=', '>', '>=');
const ws = fc.constantFrom(' ', '  ', '\n', '\t');
const keyword = (word: string) => caseMix(word);

function ident(name: string): fc.Arbitrary<string> {
  return fc.constantFrom(name, `"${name}"`, name.toUpperCase());
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A value of `column`'s type, written as a parameter or a quoted literal. */
function valueRef(column: ColumnName): fc.Arbitrary<Clause> {
  return fc.tuple(clauseValue(COLUMNS[column]), fc.boolean()).map(([value, asParam]) => (params: string[]) => {
    if (!asParam) return quote(value);
    params.push(value);
    return `$${params.length}`;
  });
}

function rhs(column: ColumnName): fc.Arbitrary<Clause> {
  const type = COLUMNS[column];
  const options: fc.Arbitrary<Clause>[] = [valueRef(column)];
  if (type === 'int2' || type === 'int4' || type === 'int8' || type === 'numeric' || type === 'float4' || type === 'float8') {
    options.push(numberLiteral.map((n) => () => n));
  }
  if (type === 'bool') options.push(fc.constantFrom('TRUE', 'false').map((b) => () => b));
  return fc.oneof({ weight: 6, arbitrary: fc.oneof(...options) }, { weight: 1, arbitrary: fc.constant(() => 'NULL') });
}

const column = fc.constantFrom(...FILTERABLE);

const compareClause: fc.Arbitrary<Clause> = column.chain((name) =>
  fc.tuple(ident(name), op, rhs(name), fc.boolean(), ws).map(([id, o, value, flipped, space]) => (params: string[]) => {
    const right = value(params);
    return flipped ? `${right}${space}${o}${space}${id}` : `${id}${space}${o}${space}${right}`;
  }),
);

const columnCompareClause: fc.Arbitrary<Clause> = fc
  .tuple(fc.constantFrom(...PAIRS), op)
  .map(([[a, b], o]) => () => `${a} ${o} "${b}"`);

const inClause: fc.Arbitrary<Clause> = column.chain((name) =>
  fc.tuple(ident(name), fc.boolean(), fc.array(rhs(name), { minLength: 1, maxLength: 4 })).map(([id, negated, items]) => (params: string[]) =>
    `${id} ${negated ? 'NOT IN' : 'in'} (${items.map((item) => item(params)).join(', ')})`,
  ),
);

const likePattern = fc.oneof(
  fc.constantFrom('%É%', '%é%', 'É%', '%İ%', '%i%', '%ß%', '%SS%', '%A%', 'a%', '%😀%', '_', '__', '%\\_%', '%\\%%', '%\\\\%', "%'%"),
  fc
    .array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TEXT_CHARS) }, { weight: 2, arbitrary: fc.constantFrom('%', '_', '\\%', '\\_', '\\\\', '\\a') }), { maxLength: 6 })
    .map((parts) => parts.join(''))
    // A pattern may not end in a lone escape.
    .map((pattern) => (/(^|[^\\])(\\\\)*\\$/.test(pattern) ? `${pattern}\\` : pattern)),
);

const likeClause: fc.Arbitrary<Clause> = fc
  .tuple(fc.constantFrom(...TEXTUAL), fc.boolean(), fc.boolean(), likePattern, fc.boolean())
  .map(([name, negated, ci, pattern, asParam]) => (params: string[]) => {
    let patternText = quote(pattern);
    if (asParam) {
      params.push(pattern);
      patternText = `$${params.length}`;
    }
    return `${name} ${negated ? 'NOT ' : ''}${ci ? 'ILIKE' : 'LIKE'} ${patternText}`;
  });

const isNullClause: fc.Arbitrary<Clause> = fc
  .tuple(column, fc.boolean())
  .map(([name, negated]) => () => `${name} IS ${negated ? 'NOT ' : ''}NULL`);

const boolColumnClause: fc.Arbitrary<Clause> = fc.constantFrom('c_bool', 'c_bool2').map((name) => () => name);

const leafClause = fc.oneof(
  { weight: 8, arbitrary: compareClause },
  { weight: 3, arbitrary: columnCompareClause },
  { weight: 3, arbitrary: inClause },
  { weight: 3, arbitrary: likeClause },
  { weight: 2, arbitrary: isNullClause },
  { weight: 1, arbitrary: boolColumnClause },
  { weight: 1, arbitrary: fc.constantFrom('TRUE', 'false', 'NULL', "'t'", '1 = 1', "'a' < 'b'", "2 IN (1, NULL)").map((c) => () => c) },
);

const clause: fc.Arbitrary<Clause> = fc.letrec<{ node: Clause }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: leafClause },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.array(tie('node'), { minLength: 2, maxLength: 3 }), fc.oneof(keyword('and'), keyword('or')))
        .map(([args, joiner]) => (params: string[]) => args.map((arg) => `(${arg(params)})`).join(` ${joiner} `)),
    },
    { weight: 1, arbitrary: tie('node').map((arg) => (params: string[]) => `NOT (${arg(params)})`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(tie('node'), fc.boolean(), fc.constantFrom('TRUE', 'FALSE', 'UNKNOWN', 'NULL'))
        .map(([arg, negated, test]) => (params: string[]) => `(${arg(params)}) IS ${negated ? 'NOT ' : ''}${test}`),
    },
  ),
})).node;

const renderedClause: fc.Arbitrary<Rendered> = clause.map((write) => {
  const params: string[] = [];
  const text = write(params);
  return { text, params };
});

// ---- the test ----------------------------------------------------------------------------------

/**
 * Each column through its type's output function, as logical replication sends it. Not `::text`
 * for char(n): that cast strips the padding, which the output (and LIKE) keep.
 */
function asText(name: ColumnName): string {
  return COLUMNS[name] === 'bpchar' ? `textin(bpcharout(${name}))` : `${name}::text`;
}

type RowInput = Record<ColumnName, string | null>;
const rowArb: fc.Arbitrary<RowInput> = fc.record(
  Object.fromEntries(
    FILTERABLE.map((name) => {
      // numeric(40, 3) cannot hold infinities.
      const value = name === 'c_numeric2' ? rowValue('numeric').filter((v) => !/inf/i.test(v)) : rowValue(COLUMNS[name]);
      return [name, fc.option(value, { freq: 5 })];
    }),
  ) as Record<ColumnName, fc.Arbitrary<string | null>>,
);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  const { rows } = await database.db.query<{ icu: boolean }>(`select exists(select 1 from pg_collation where collname = 'en-x-icu') as icu`);
  // A non-"C" collation on the text columns, so an ordering compiled without COLLATE "C" is caught.
  const collate = rows[0]?.icu ? ' collate "en-x-icu"' : '';
  await database.db.exec(`
    create table where_fuzz (
      id int primary key,
      c_uuid uuid, c_uuid2 uuid,
      c_text text${collate}, c_text2 text${collate}, c_varchar varchar(20)${collate}, c_bpchar char(6)${collate},
      c_int2 int2, c_int4 int4, c_int8 int8, c_numeric numeric, c_numeric2 numeric(40, 3),
      c_float4 float4, c_float8 float8, c_bool bool, c_bool2 bool,
      c_date date, c_date2 date, c_ts timestamp, c_ts2 timestamp, c_tstz timestamptz, c_tstz2 timestamptz,
      c_tags text[], c_doc jsonb
    )`);
});
afterAll(async () => {
  await database.drop();
});

/** WHERE_FUZZ_RUNS=2000 for a longer soak. */
const RUNS = Number(process.env.WHERE_FUZZ_RUNS ?? 200);
const CLAUSES_PER_RUN = 5;

test('snapshot SQL and the in-memory evaluator select exactly the same rows', async () => {
  let clauses = 0;
  let selected = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(rowArb, { minLength: 40, maxLength: 50 }),
      fc.array(renderedClause, { minLength: CLAUSES_PER_RUN, maxLength: CLAUSES_PER_RUN }),
      fc.integer({ min: 2, max: 5 }),
      fc.constantFrom('America/St_Johns', 'Asia/Kolkata', 'UTC', 'Pacific/Kiritimati'),
      async (rows, rendered, firstParamIndex, timeZone) => {
        await database.db.transaction(async (tx) => {
          await tx.query(`select set_config('TimeZone', $1, true), set_config('DateStyle', 'ISO, DMY', true)`, [timeZone]);
          await tx.query('truncate where_fuzz');
          const values: (string | null)[] = [];
          const tuples = rows.map((row, id) => {
            const cells = [`$${values.push(String(id))}::int4`];
            for (const name of FILTERABLE) cells.push(`$${values.push(row[name])}::${COLUMNS[name]}`);
            return `(${cells.join(', ')})`;
          });
          await tx.query(`insert into where_fuzz (id, ${FILTERABLE.join(', ')}) values ${tuples.join(', ')}`, values);
          const { rows: textRows } = await tx.query<Record<string, string | null>>(
            `select id::text as id, ${FILTERABLE.map((name) => `${asText(name)} as ${name}`).join(', ')}, c_tags::text as c_tags, c_doc::text as c_doc from where_fuzz order by id`,
          );
          for (const { text, params } of rendered) {
            const where = bindWhere(parseWhere(text), COLUMNS, Object.fromEntries(params.map((value, i) => [String(i + 1), value])));
            const compiled = compileWhere(where, firstParamIndex);
            // Filler parameters below firstParamIndex, as a caller with its own conditions would have.
            const filler = Array.from({ length: firstParamIndex - 1 }, (_, i) => `$${i + 1}::int4 < 1000`);
            const sql = `select id::text as id from where_fuzz where ${[...filler, compiled.sql].join(' and ')} order by id`;
            const fromSql = (await tx.query<{ id: string }>(sql, [...filler.map(() => 0), ...compiled.values])).rows.map((row) => row.id);
            const fromMemory = textRows.filter((row) => evaluateWhere(where, row)).map((row) => row.id!);
            expect({ text, params, sql: compiled.sql, ids: fromMemory }).toEqual({ text, params, sql: compiled.sql, ids: fromSql });
            clauses++;
            selected += fromSql.length;
          }
        });
      },
    ),
    { numRuns: RUNS },
  );
  // The generators must produce clauses that select something, or the comparison proves little.
  expect(clauses).toBe(RUNS * CLAUSES_PER_RUN);
  expect(selected).toBeGreaterThan(clauses * 3);
}, Math.max(120_000, RUNS * 250));

/** Raw client texts in (and around) the syntax the binder accepts, per type. */
const RAW_INPUTS: Record<FilterableType, fc.Arbitrary<string>> = {
  uuid: fc.oneof(clauseValue('uuid'), fc.uuid().chain(caseMix), fc.stringMatching(/^\{?[0-9a-fA-F]{8}-?[0-9a-f]{4}-?[0-9A-F]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/)),
  text: text(8),
  varchar: text(8),
  bpchar: text(8),
  int2: fc.oneof(clauseValue('int2'), fc.stringMatching(/^[+-]?\d{1,6}$/)),
  int4: fc.oneof(clauseValue('int4'), fc.stringMatching(/^[+-]?\d{1,11}$/)),
  int8: fc.oneof(clauseValue('int8'), fc.stringMatching(/^[+-]?\d{1,20}$/)),
  numeric: fc.oneof(clauseValue('numeric'), fc.stringMatching(/^[+-]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})([eE][+-]?\d{1,3})?$/)),
  float4: fc.oneof(clauseValue('float4'), fc.stringMatching(/^[+-]?(\d{1,12}(\.\d{0,12})?|\.\d{1,12})([eE][+-]?\d{1,2})?$/), fc.float().map(String)),
  float8: fc.oneof(clauseValue('float8'), fc.stringMatching(/^[+-]?(\d{1,20}(\.\d{0,20})?|\.\d{1,20})([eE][+-]?\d{1,3})?$/), fc.double().map(String)),
  bool: fc.oneof(clauseValue('bool'), fc.constantFrom('TRUE', 'On', 'oFF', 'Y', 'no', 'nO')),
  date: fc.oneof(clauseValue('date'), fc.stringMatching(/^[0-2]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-9]|3[01])$/)),
  timestamp: fc.oneof(clauseValue('timestamp'), fc.stringMatching(/^[0-2]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])([Tt ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?)?$/)),
  timestamptz: fc.oneof(
    clauseValue('timestamptz'),
    fc.stringMatching(/^[0-2]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])[Tt ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)? ?([zZ]|[+-](0\d|1[0-5])(:?[0-5]\d(:[0-5]\d)?)?)$/),
  ),
};

test('every parameter the binder accepts means to Postgres exactly what it means in memory', async () => {
  let accepted = 0;
  for (const type of Object.keys(RAW_INPUTS) as FilterableType[]) {
    await fc.assert(
      fc.asyncProperty(fc.array(RAW_INPUTS[type], { minLength: 20, maxLength: 80 }), fc.constantFrom('UTC', 'Asia/Kolkata', 'America/St_Johns'), async (raws, timeZone) => {
        const pairs = raws.flatMap((raw) => {
          const result = readInput(raw, type);
          return result.ok ? [[raw, result.input.sqlText] as const] : [];
        });
        accepted += pairs.length;
        if (pairs.length === 0) return;
        await database.db.transaction(async (tx) => {
          await tx.query(`select set_config('TimeZone', $1, true), set_config('DateStyle', 'SQL, DMY', true)`, [timeZone]);
          // Postgres reads the client's raw text; the snapshot query sends our canonical text instead.
          const { rows } = await tx.query<{ raw: string; same: boolean }>(
            `select raw, raw::${type} = canonical::${type} and canonical::${type} = raw::${type} as same from unnest($1::text[], $2::text[]) as u(raw, canonical)`,
            [pairs.map(([raw]) => raw), pairs.map(([, canonical]) => canonical)],
          );
          expect(rows.filter((row) => !row.same).map((row) => row.raw)).toEqual([]);
        });
      }),
      { numRuns: 25 },
    );
  }
  expect(accepted).toBeGreaterThan(10_000);
});
