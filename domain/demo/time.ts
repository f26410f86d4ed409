/**
 * Demo time is fixed, never the clock: every timestamp is the base date plus an offset drawn from
 * the seed, so two seeds of the same number are byte-identical.
 */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Monday 5 January 2026, 00:00 UTC: "today" in the demo company (route plans are for this day). */
export const BASE_MS = Date.UTC(2026, 0, 5);

const days = new Map<number, string>();

/** The UTC calendar day of an instant, as `YYYY-MM-DD`. */
export function dayOf(ms: number): string {
  const day = Math.floor(ms / DAY);
  let text = days.get(day);
  if (text === undefined) {
    text = new Date(day * DAY).toISOString().slice(0, 10);
    days.set(day, text);
  }
  return text;
}

const isoCodes = new Array<number>(24).fill(0);
const digit = (n: number) => 48 + n;

/**
 * `toISOString()`, built flat from char codes: the large demo holds millions of timestamps, and
 * concatenated strings are trees the garbage collector copies piece by piece.
 */
export function iso(ms: number): string {
  const day = dayOf(ms);
  for (let i = 0; i < 10; i++) isoCodes[i] = day.charCodeAt(i);
  const rest = ms - Math.floor(ms / DAY) * DAY;
  const fields = [Math.floor(rest / HOUR), Math.floor((rest % HOUR) / MINUTE), Math.floor((rest % MINUTE) / 1000)];
  isoCodes[10] = 84; // T
  fields.forEach((value, index) => {
    isoCodes[11 + index * 3] = digit(Math.floor(value / 10));
    isoCodes[12 + index * 3] = digit(value % 10);
    isoCodes[13 + index * 3] = index < 2 ? 58 : 46; // ':' or '.'
  });
  const millis = rest % 1000;
  isoCodes[20] = digit(Math.floor(millis / 100));
  isoCodes[21] = digit(Math.floor(millis / 10) % 10);
  isoCodes[22] = digit(millis % 10);
  isoCodes[23] = 90; // Z
  return String.fromCharCode(...isoCodes);
}

/** True on Saturday and Sunday (UTC). */
export const isWeekend = (ms: number): boolean => {
  const weekday = new Date(ms).getUTCDay();
  return weekday === 0 || weekday === 6;
};
