import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { civilFromDays, daysFromCivil, formatTimestamp, TIMESTAMP_INFINITY } from './calendar.ts';
import { compareDecimal, formatDecimal, parsePlainDecimal } from './decimal.ts';
import { readInput } from './pg-input.ts';
import { readPgText, readTimestampText } from './pg-text.ts';
import type { FilterableType } from './pg-type.ts';
import { PgValueError } from './pg-value-error.ts';
import { compareCodePoints } from './value.ts';

describe('Postgres text output', () => {
  test('timestamptz: offsets with minutes and seconds, fractions, BC and infinities', () => {
    const at = (text: string) => readTimestampText(text, true);
    expect(at('1970-01-01 00:00:00+00')).toBe(0n);
    expect(at('1970-01-01 05:30:00.5+05:30')).toBe(500_000n);
    expect(at('1969-12-31 20:29:08-03:30:52')).toBe(0n);
    expect(at('1970-01-01 00:00:00.000001+00')).toBe(1n);
    expect(at('2026-11-24T19:23:01.123Z')).toBe(at('2026-11-25 00:53:01.123+05:30'));
    expect(at('0001-12-31 23:00:00+00 BC')).toBe(at('0001-01-01 00:00:00+01'));
    expect(at('infinity')).toBe(TIMESTAMP_INFINITY);
    expect(() => at('2026-11-24 19:23:01')).toThrow(PgValueError);
    expect(() => at('2026-11-24 19:23:01.1234567+00')).toThrow(PgValueError);
  });

  test('each type reads its own output and refuses other text', () => {
    const cases: [FilterableType, string, string][] = [
      ['int2', '-32768', '1.0'],
      ['int8', '9223372036854775807', '1e3'],
      ['numeric', '-0.001', '1e3'],
      ['float8', '1e+300', 'inf'],
      ['float4', '-Infinity', '0x10'],
      ['bool', 't', 'yes'],
      ['uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc999c0b4ef8bb6d6bb9bd380a11'],
      ['date', '0044-03-15 BC', '2026-1-1'],
      ['timestamp', '20000-01-01 00:00:00', '2026-01-01'],
    ];
    for (const [type, good, bad] of cases) {
      expect(() => readPgText(good, type)).not.toThrow();
      expect(() => readPgText(bad, type), `${type} ${bad}`).toThrow(PgValueError);
    }
  });
});

describe('properties', () => {
  test('code-point order is UTF-8 byte order (what COLLATE "C" compares)', () => {
    const unit = fc.constantFrom('a', 'B', ' ', 'é', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '😀', '\u{10ffff}', '\u{10000}');
    fc.assert(
      fc.property(fc.string({ maxLength: 6, unit }), fc.string({ maxLength: 6, unit }), (a, b) => {
        expect(compareCodePoints(a, b)).toBe(Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { numRuns: 3000 },
    );
  });

  test('calendar days agree with the proleptic Gregorian calendar of Date', () => {
    fc.assert(
      fc.property(fc.integer({ min: -4713, max: 275_759 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), (year, month, day) => {
        const date = new Date(0);
        date.setUTCFullYear(year, month - 1, day);
        expect(daysFromCivil(year, month, day)).toBe(date.getTime() / 86_400_000);
        expect(civilFromDays(daysFromCivil(year, month, day))).toEqual({ year, month, day });
      }),
    );
  });

  test('a timestamp printed Postgres-style reads back as the same instant', () => {
    const micros = fc.bigInt({ min: -211_813_488_000_000_000n, max: 9_223_371_331_199_999_999n });
    fc.assert(
      fc.property(micros, (value) => {
        expect(readTimestampText(formatTimestamp(value, '+00'), true)).toBe(value);
        expect(readTimestampText(formatTimestamp(value, ''), false)).toBe(value);
      }),
    );
  });

  test('canonical parameter text reads back as the same value and canonical text', () => {
    const inputs: [FilterableType, fc.Arbitrary<string>][] = [
      ['numeric', fc.stringMatching(/^[+-]?(\d{1,20}(\.\d{0,20})?|\.\d{1,20})([eE][+-]?\d{1,2})?$/)],
      ['float8', fc.double().map(String)],
      ['float4', fc.float().map(String)],
      ['int8', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)],
      ['timestamptz', fc.date({ noInvalidDate: true, min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z') }).map((d) => d.toISOString())],
      ['timestamp', fc.date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z') }).map((d) => d.toISOString().slice(0, -1))],
      ['uuid', fc.uuid().map((u) => u.toUpperCase())],
    ];
    for (const [type, arbitrary] of inputs) {
      fc.assert(
        fc.property(arbitrary, (text) => {
          const first = readInput(text, type);
          if (!first.ok) return;
          const again = readInput(first.input.sqlText, type);
          expect(again).toEqual(first);
        }),
      );
    }
  });

  test('exact decimals order like numbers and print back as themselves', () => {
    const decimal = fc.tuple(fc.integer({ min: -10_000, max: 10_000 }), fc.integer({ min: 0, max: 4 }));
    fc.assert(
      fc.property(decimal, decimal, ([ua, sa], [ub, sb]) => {
        const a = { kind: 'finite', units: BigInt(ua), scale: sa } as const;
        const b = { kind: 'finite', units: BigInt(ub), scale: sb } as const;
        expect(compareDecimal(a, b)).toBe(Math.sign(ua * 10 ** sb - ub * 10 ** sa));
        expect(parsePlainDecimal(formatDecimal(a))).toEqual(a);
      }),
    );
  });
});
