import { expect, test } from 'vitest';
import { BASE_MS, DAY, dayOf, iso } from './time.ts';

test('iso formats exactly like toISOString across the demo years', () => {
  for (let ms = BASE_MS - 500 * DAY; ms < BASE_MS + 30 * DAY; ms += 7_777_777) {
    expect(iso(ms)).toBe(new Date(ms).toISOString());
  }
  expect(iso(BASE_MS - 1)).toBe('2026-01-04T23:59:59.999Z');
});

test('dayOf gives the UTC calendar day', () => {
  expect(dayOf(BASE_MS)).toBe('2026-01-05');
  expect(dayOf(BASE_MS - 1)).toBe('2026-01-04');
});
