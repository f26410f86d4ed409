import fc from 'fast-check';
import type { PullRequestCookie } from '@niaga/protocol';
import { expect, test } from 'vitest';
import { compareCookies, fullViewPrefix, makeCookie, readCookie } from './pull-cookie.ts';

const lsn = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const snapshot = fc.tuple(fc.bigInt({ min: 1n, max: 1n << 40n }), fc.nat(100)).map(([xmin, span]) => `${xmin}:${xmin + BigInt(span)}:`);
const ourCookie = fc.record({ prefix: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 })), lsn, log: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 32 }), snapshot }).map((c) => makeCookie(c.prefix, c.lsn, c.log, c.snapshot));
/** Anything Replicache may send: null, another server's string or number cookie, an object with an order, or one of ours. */
const anyCookie: fc.Arbitrary<PullRequestCookie> = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.record({ order: fc.oneof(fc.string({ maxLength: 40 }), fc.integer()) }),
  ourCookie,
);

test('compareCookies orders as Replicache 15.3 does: null first, numbers by value, any string side by UTF-16 text', () => {
  expect(compareCookies(null, 0)).toBeLessThan(0);
  expect(compareCookies(9, 10)).toBeLessThan(0);
  expect(compareCookies('9', 10)).toBeGreaterThan(0); // "9" > "10" as text
  expect(compareCookies({ order: 3 }, 2)).toBeGreaterThan(0);
  expect(compareCookies({ order: 'b' }, { order: 'b' })).toBe(0);
});

test('our cookie reads back as it was made', () => {
  fc.assert(
    fc.property(fc.oneof(fc.constant(''), fc.string({ maxLength: 30 })), lsn, fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 32 }), snapshot, (prefix, position, log, snap) => {
      const parsed = readCookie(makeCookie(prefix, position, log, snap));
      expect(parsed).toMatchObject({ prefix, lsn: position, log, snapshotText: snap });
    }),
  );
});

test('with the same prefix, a later log position always orders above an earlier one', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), lsn, lsn, (prefix, a, b) => {
      fc.pre(a !== b);
      const [low, high] = a < b ? [a, b] : [b, a];
      expect(compareCookies(makeCookie(prefix, high, 'l', '1:1:'), makeCookie(prefix, low, 'l', '1:1:'))).toBeGreaterThan(0);
    }),
  );
});

test('a full view orders above whatever cookie the client sent, at any log position', () => {
  fc.assert(
    fc.property(anyCookie, lsn, (cookie, position) => {
      const answer = makeCookie(fullViewPrefix(cookie, position), position, 'log', '1:1:');
      expect(compareCookies(answer, cookie)).toBeGreaterThan(0);
      expect(readCookie(answer)?.lsn).toBe(position);
    }),
  );
});

test('a full view keeps no prefix when the log is ahead of the cookie, and a short prefix above the old order when it is behind', () => {
  const behind = makeCookie('', 500n, 'old-log', '1:1:');
  expect(fullViewPrefix(behind, 900n)).toBe('');
  expect(fullViewPrefix(behind, 3n)).toBe('1');
  expect(makeCookie(fullViewPrefix(behind, 3n), 3n, 'log', '1:1:').order).toBe('1.00000000000000000003');
  expect(fullViewPrefix(null, 0n)).toBe('');
  expect(fullViewPrefix(42, 7n)).toBe('5');
  expect(fullViewPrefix({ order: '~~a~' }, 7n)).toBe('~~b');
  expect(fullViewPrefix({ order: '~\u00e9' }, 7n)).toBe('~\u00e9');
});

test('answered again and again from a log behind it (databases replaced), a cookie hardly grows: well within what a pull accepts back', () => {
  let cookie: PullRequestCookie = makeCookie('', 900n, 'first', '1:1:');
  for (let reset = 0; reset < 200; reset++) {
    const answer = makeCookie(fullViewPrefix(cookie, 3n), 3n, `log-${reset}`, '1:1:');
    expect(compareCookies(answer, cookie)).toBeGreaterThan(0);
    // The prefix's first character rises "1" … "~", then a second one starts: one character per 78 answers.
    expect(answer.order.length).toBeLessThanOrEqual(21 + 1 + Math.ceil((reset + 1) / 78));
    cookie = answer;
  }
});

test('anything that is not a cookie of ours reads as unknown', () => {
  for (const cookie of [null, 5, 'x', { order: 3 }, { order: '00000000000000000001' }, { order: '1', log: 'l', snapshot: '1:1:' }, { order: '00000000000000000001', log: 'l', snapshot: 'garbage' }]) {
    expect(readCookie(cookie as PullRequestCookie)).toBeUndefined();
  }
});
