import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CaptureError } from './capture-error.ts';
import { formatLsn, parseLsn } from './lsn.ts';
import { widenXid } from './xid.ts';

const maxXid8 = (1n << 63n) - 1n;

describe('widenXid', () => {
  test('recovers any xid8 less than 2^31 transactions before or after the reference from its low 32 bits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: maxXid8 - (1n << 31n) }), fc.bigInt({ min: -(1n << 31n) + 1n, max: (1n << 31n) - 1n }), (reference, offset) => {
        const xid8 = reference + offset;
        fc.pre(xid8 >= 0n);
        expect(widenXid(Number(xid8 & 0xffff_ffffn), reference)).toBe(xid8);
      }),
      { numRuns: 2000 },
    );
  });

  test('the result has the given low bits and lies within 2^31 of the reference', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n << 32n, max: maxXid8 - (1n << 32n) }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (reference, xid32) => {
        const widened = widenXid(xid32, reference);
        expect(widened & 0xffff_ffffn).toBe(BigInt(xid32));
        expect(widened - reference < 1n << 31n && reference - widened <= 1n << 31n).toBe(true);
      }),
    );
  });

  test('works across an epoch boundary, on either side of the reference', () => {
    const reference = (5n << 32n) + 10n;
    expect(widenXid(3, reference)).toBe((5n << 32n) + 3n);
    expect(widenXid(12, reference)).toBe((5n << 32n) + 12n); // committed, not yet completed when the reference was taken
    expect(widenXid(0xffff_fff0, reference)).toBe((4n << 32n) + 0xffff_fff0n);
    expect(widenXid(5, (5n << 32n) - 3n)).toBe((5n << 32n) + 5n);
  });

  test('an xid that would lie before the first xid8 is out of range; bad input is refused', () => {
    expect(() => widenXid(0xffff_fff0, 10n)).toThrow(CaptureError);
    expect(() => widenXid(-1, 999n)).toThrow(RangeError);
    expect(() => widenXid(2 ** 32, 999n)).toThrow(RangeError);
    expect(() => widenXid(1, -1n)).toThrow(RangeError);
  });
});

describe('LSN text', () => {
  test('formats and parses back every 64-bit position, keeping its order', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (a, b) => {
        expect(parseLsn(formatLsn(a))).toBe(a);
        expect(parseLsn(formatLsn(a).toLowerCase())).toBe(a);
        expect(a < b).toBe(parseLsn(formatLsn(a)) < parseLsn(formatLsn(b)));
      }),
    );
  });

  test('reads the server form', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(parseLsn('0/0')).toBe(0n);
    expect(formatLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(() => parseLsn('16B374D848')).toThrow(TypeError);
  });
});
