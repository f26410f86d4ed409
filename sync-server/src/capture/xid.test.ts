import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CaptureError } from './capture-error.ts';
import { formatLsn, parseLsn } from './lsn.ts';
import { isAtOrPast, settleXids, widenXid } from './xid.ts';

const maxXid8 = (1n << 63n) - 1n;

describe('widenXid', () => {
  test('recovers any xid8 less than 2^31 transactions older than the reference from its low 32 bits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: maxXid8 }), fc.bigInt({ min: 0n, max: (1n << 31n) - 1n }), (reference, age) => {
        fc.pre(age <= reference);
        const xid8 = reference - age;
        expect(widenXid(Number(xid8 & 0xffff_ffffn), reference)).toBe(xid8);
      }),
      { numRuns: 2000 },
    );
  });

  test('the result has the given low bits, is at or below the reference and within one epoch of it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n << 32n, max: maxXid8 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (reference, xid32) => {
        const widened = widenXid(xid32, reference);
        expect(widened & 0xffff_ffffn).toBe(BigInt(xid32));
        expect(widened <= reference).toBe(true);
        expect(reference - widened < 1n << 32n).toBe(true);
      }),
    );
  });

  test('works across an epoch boundary', () => {
    const reference = (5n << 32n) + 10n;
    expect(widenXid(3, reference)).toBe((5n << 32n) + 3n);
    expect(widenXid(0xffff_fff0, reference)).toBe((4n << 32n) + 0xffff_fff0n);
  });

  test('an xid newer than a reference in the first epoch is out of range', () => {
    expect(() => widenXid(1000, 999n)).toThrow(CaptureError);
    expect(() => widenXid(-1, 999n)).toThrow(RangeError);
    expect(() => widenXid(2 ** 32, 999n)).toThrow(RangeError);
  });
});

describe('isAtOrPast', () => {
  test('an xid decoded before the snapshot xmax counts it is at or past the xmax, in any epoch; an older one is not', () => {
    expect(isAtOrPast(79_424, 79_423n)).toBe(true);
    expect(isAtOrPast(79_423, 79_423n)).toBe(true);
    expect(isAtOrPast(79_422, 79_423n)).toBe(false);
    expect(isAtOrPast(2, (3n << 32n) + 0xffff_fffen)).toBe(true); // just past an epoch boundary
    expect(isAtOrPast(0xffff_fff0, (3n << 32n) + 5n)).toBe(false); // just before one
  });

  test('exactly the xids that widenXid would place below the reference are not at or past it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n << 32n, max: maxXid8 }), fc.bigInt({ min: -(1n << 31n) + 1n, max: (1n << 31n) - 1n }), (reference, offset) => {
        const xid8 = reference + offset;
        expect(isAtOrPast(Number(xid8 & 0xffff_ffffn), reference)).toBe(offset >= 0n);
      }),
      { numRuns: 2000 },
    );
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

describe('settleXids', () => {
  const snapshot = (xmin: bigint, xmax: bigint, xip: bigint[] = []) => ({ xmin, xmax, xip });
  const epoch = 1n << 32n;

  test('widens against the snapshot once every transaction is completed and visible in it', () => {
    expect(settleXids([100, 105], snapshot(90n, 110n, [95n]))).toEqual({ xids: [100n, 105n] });
    expect(settleXids([5], snapshot(3n * epoch + 1n, 3n * epoch + 10n))).toEqual({ xids: [3n * epoch + 5n] });
  });

  test('waits while a transaction is at or past xmax (decoded, not completed) or still in progress in the snapshot', () => {
    expect(settleXids([100, 110], snapshot(90n, 110n))).toEqual({ pending: '110 were decoded but not completed' });
    expect(settleXids([100, 105], snapshot(90n, 110n, [105n]))).toEqual({ pending: '105 were decoded but not visible' });
  });

  test('agrees with widenXid and visibleInSnapshot for any snapshot taken after the batch was decoded', () => {
    fc.assert(
      // xmax anywhere, and just past an epoch boundary (where the batch's xids lie in the epoch before).
      fc.property(fc.oneof(fc.bigInt({ min: 1n << 31n, max: maxXid8 }), fc.tuple(fc.bigInt({ min: 1n, max: (1n << 30n) }), fc.bigInt({ min: 0n, max: 1500n })).map(([k, past]) => k * epoch + past)), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 0, max: 1200 })), (xmax, ages, inProgressAges) => {
        const xids = ages.map((age) => xmax - BigInt(age));
        const xip = [...new Set(inProgressAges.map((age) => xmax - BigInt(age)).filter((xid) => xid >= 0n))].sort((a, b) => (a < b ? -1 : 1));
        const xmin = xip[0] ?? xmax;
        const settled = settleXids(xids.map((xid) => Number(xid & 0xffff_ffffn)), snapshot(xmin, xmax, xip));
        const invisible = xids.some((xid) => xid >= xmin && xip.includes(xid));
        expect('pending' in settled).toBe(invisible);
        if ('xids' in settled) expect(settled.xids).toEqual(xids);
      }),
      { numRuns: 500 },
    );
  });
});
