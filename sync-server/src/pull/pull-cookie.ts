/**
 * Replicache pull cookies (pure). Replicache keeps the cookie of the last response it applied and
 * refuses, for ever, a response whose cookie orders below it; it ignores one whose cookie is
 * unchanged. So every response that changes anything must carry a strictly greater cookie, also
 * across server restarts, a replaced database, and cookies forked from another client group.
 *
 * Ours is `{order, log, snapshot}`: `order` is the change-log position zero-padded to 20 digits
 * (so string order is numeric order), `log` names the log (sync.log_state.epoch) and `snapshot`
 * the transactions the last full view already contained, so the log entries they wrote are not
 * sent again. When the log stands below the order a client already has (a cookie from another
 * database, or garbage), the full view's order keeps that order as a prefix: `<old>.<position>`,
 * which orders above it, and later positions keep the prefix.
 */
import type { PullCookie, PullRequestCookie } from '@niaga/protocol';
import { parsePgSnapshot, type PgSnapshot } from '../shapes/pg-snapshot.ts';

const POSITION_DIGITS = 20;
const MAX_POSITION = 0xffff_ffff_ffff_ffffn;
const ownOrder = /^(?:([\s\S]*)\.)?(\d{20})$/;

/** Our cookie, read back. */
export interface ParsedCookie {
  /** What the order carries before the position ('' for none). */
  readonly prefix: string;
  readonly lsn: bigint;
  readonly log: string;
  readonly snapshot: PgSnapshot;
  /** The snapshot as the cookie spells it (carried on unchanged). */
  readonly snapshotText: string;
}

type AnyCookie = PullRequestCookie | PullCookie;

function orderOf(cookie: Exclude<AnyCookie, null>): string | number {
  return typeof cookie === 'object' ? cookie.order : cookie;
}

/** Replicache 15.3's cookie order (cookies.ts): null first; if either order is a string both compare as strings (UTF-16 units), else as numbers. */
export function compareCookies(a: AnyCookie, b: AnyCookie): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const [x, y] = [orderOf(a), orderOf(b)];
  if (typeof x === 'string' || typeof y === 'string') {
    const [s, t] = [String(x), String(y)];
    return s === t ? 0 : s < t ? -1 : 1;
  }
  return x - y;
}

export function orderAt(prefix: string, lsn: bigint): string {
  const position = lsn.toString().padStart(POSITION_DIGITS, '0');
  return prefix === '' ? position : `${prefix}.${position}`;
}

export function makeCookie(prefix: string, lsn: bigint, log: string, snapshot: string): PullCookie {
  return { order: orderAt(prefix, lsn), log, snapshot };
}

/** Our own cookie, read back; undefined for anything else (null, another server's, garbled). */
export function readCookie(cookie: PullRequestCookie): ParsedCookie | undefined {
  if (cookie === null || typeof cookie !== 'object') return undefined;
  const { order, log, snapshot } = cookie as Record<string, unknown>;
  if (typeof order !== 'string' || typeof log !== 'string' || typeof snapshot !== 'string') return undefined;
  const match = ownOrder.exec(order);
  if (!match) return undefined;
  const lsn = BigInt(match[2]!);
  if (lsn > MAX_POSITION) return undefined;
  let parsed: PgSnapshot;
  try {
    parsed = parsePgSnapshot(snapshot);
  } catch {
    return undefined;
  }
  return { prefix: match[1] ?? '', lsn, log, snapshot: parsed, snapshotText: snapshot };
}

/**
 * The prefix of a full view's order at position `lsn`, answering `cookie`: the cookie's own
 * prefix when that orders above the cookie, else a short string above the cookie's order, so the
 * answer always orders above what the client has.
 */
export function fullViewPrefix(cookie: PullRequestCookie, lsn: bigint): string {
  if (cookie === null) return '';
  const candidate = readCookie(cookie)?.prefix ?? '';
  if (compareCookies(orderAt(candidate, lsn), cookie) > 0) return candidate;
  return shortAbove(String(orderOf(cookie)));
}

/**
 * A string that orders above `order` (UTF-16 units, as Replicache compares), and whatever follows
 * it too: `order` up to its first unit below `~`, with that unit raised (to a digit at least, so it
 * stays printable). Our own orders give one character ("00…0500" → "1"): however often a client's
 * cookie is answered from a log behind it (a database replaced), the order grows by one character
 * per 78 answers at most, far from what a pull accepts back. Only an order with no unit below `~`
 * is kept whole.
 */
function shortAbove(order: string): string {
  for (let index = 0; index < order.length; index++) {
    const unit = order.charCodeAt(index);
    if (unit < 0x7e) return order.slice(0, index) + String.fromCharCode(Math.max(unit + 1, 0x30));
  }
  return order;
}
