/**
 * Proleptic Gregorian calendar arithmetic, as Postgres uses for every date and timestamp.
 * Years are astronomical here (1 BC = 0); callers translate the " BC" suffix.
 */

export const MICROS_PER_DAY = 86_400_000_000n;
/** Postgres's own sentinels for -infinity / infinity timestamps (DT_NOBEGIN / DT_NOEND). */
export const TIMESTAMP_MINUS_INFINITY = -(2n ** 63n);
export const TIMESTAMP_INFINITY = 2n ** 63n - 1n;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

export function isValidDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Days since 1970-01-01 (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Astronomical year from Postgres's year text and its " BC" suffix. */
export function astronomicalYear(yearText: string, bc: boolean): number {
  const year = Number(yearText);
  return bc ? 1 - year : year;
}

/** `YYYY-MM-DD` (with " BC" where needed), the way Postgres prints dates in ISO style. */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const shownYear = year <= 0 ? 1 - year : year;
  return `${String(shownYear).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

export function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? quotient - 1n : quotient;
}

/**
 * `YYYY-MM-DD HH:MM:SS.ffffff` for microseconds since 1970-01-01 00:00, with " BC" placed where
 * Postgres expects it (after `suffix`, e.g. the `+00` of a timestamptz).
 */
export function formatTimestamp(micros: bigint, suffix: string): string {
  if (micros === TIMESTAMP_INFINITY) return 'infinity';
  if (micros === TIMESTAMP_MINUS_INFINITY) return '-infinity';
  const days = floorDiv(micros, MICROS_PER_DAY);
  const ofDay = Number(micros - days * MICROS_PER_DAY);
  const { year } = civilFromDays(Number(days));
  const seconds = Math.floor(ofDay / 1_000_000);
  const fraction = String(ofDay % 1_000_000).padStart(6, '0');
  const time = `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}.${fraction}`;
  return `${formatDate(Number(days))} ${time}${suffix}${year <= 0 ? ' BC' : ''}`;
}

/** Microseconds since the epoch of a wall-clock date and time (no zone). */
export function timestampMicros(days: number, hour: number, minute: number, second: number, micros: number): bigint {
  return BigInt(days) * MICROS_PER_DAY + BigInt(((hour * 60 + minute) * 60 + second) * 1_000_000 + micros);
}

/** Postgres rounds fractional seconds with rint(strtod(".digits") * 1e6); this is that, exactly. */
export function fractionToMicros(digits: string): number {
  if (digits === '') return 0;
  const scaled = Number(`0.${digits}`) * 1_000_000;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  if (rest < 0.5) return floor;
  if (rest > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}
