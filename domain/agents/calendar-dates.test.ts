import { describe, expect, test } from 'vitest';
import { calendarDay } from './calendar-dates.ts';

describe('calendarDay', () => {
  test('a pg date (local midnight) reads back as the stored day in a time zone east or west of UTC', () => {
    const original = process.env.TZ;
    try {
      for (const zone of ['Pacific/Kiritimati', 'America/Los_Angeles', 'UTC']) {
        process.env.TZ = zone;
        expect(calendarDay(new Date(2025, 0, 1), 'postgres')).toBe('2025-01-01');
      }
    } finally {
      process.env.TZ = original;
    }
  });

  test('a PGlite date (UTC midnight) reads back as the stored day, padded', () => {
    expect(calendarDay(new Date('0999-02-03'), 'pglite')).toBe('0999-02-03');
    expect(calendarDay(new Date('2024-12-31'), 'pglite')).toBe('2024-12-31');
  });
});
