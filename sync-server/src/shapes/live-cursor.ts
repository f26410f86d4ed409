/**
 * `electric-cursor` for live responses, computed as Electric does: seconds since 2024-10-09,
 * rounded up to the long-poll interval, and never a value the client already sent, so a CDN
 * can collapse identical long-polls without replaying a stale one.
 */
const epochSeconds = Date.UTC(2024, 9, 9) / 1000;

export function nextCursor(requestCursor: string | undefined, intervalSeconds: number, now = Date.now()): string {
  const elapsed = now / 1000 - epochSeconds;
  const rounded = Math.ceil(elapsed / intervalSeconds) * intervalSeconds;
  const previous = Number(requestCursor);
  if (Number.isFinite(previous) && requestCursor !== '' && rounded <= previous) return String(previous + 1 + Math.floor(Math.random() * 3600));
  return String(rounded);
}
