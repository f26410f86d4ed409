/**
 * Live mode over Server-Sent Events: one `data:` event per message, each batch of transactions
 * followed by an up-to-date (the client then resumes from `${global_last_seen_lsn}_0`),
 * keep-alive comments, and a close after a minute so the client reconnects with its offset.
 *
 * A client that reads slower than changes come is not buffered for: a batch is written in slices,
 * each once the socket has taken the one before, and nothing more is read for the client until
 * then (its position is its offset, so nothing is lost). A batch is never cut short, however long
 * a slow client takes; one that takes nothing at all is cut off by the server's idle timeout
 * (HTTP_IDLE_TIMEOUT_MS), which ends the stream.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeFeed } from './change-feed.ts';
import { upToDateMessage } from './change-messages.ts';
import { connectionClosed } from './connection-closed.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import type { LogRead, ShapeHandle } from './shape-log.ts';

export interface SseOptions {
  readonly shape: ShapeDefinition;
  readonly handle: ShapeHandle;
  readonly headers: Record<string, string>;
  /** The first read, done before the stream opened. */
  readonly first: LogRead;
  readonly read: (afterLsn: bigint) => Promise<LogRead>;
  readonly feed: ChangeFeed;
  /** Becomes true when the shape's handle dies (e.g. its table was truncated): the stream ends and the client's reconnect gets the 409. */
  readonly stale: () => boolean;
  readonly keepAliveMs?: number;
  readonly closeAfterMs?: number;
}

export async function streamSse(request: FastifyRequest, reply: FastifyReply, options: SseOptions): Promise<void> {
  const { feed, keepAliveMs = 21_000, closeAfterMs = 60_000 } = options;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    ...options.headers,
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Node sends the head with the first write: without this, a client would wait for its response
  // until the first change or keep-alive (21 s) came.
  raw.flushHeaders();
  // The client may have gone already, while the route read the first batch.
  let open = true;
  const closed = connectionClosed(request.raw, raw);
  void closed.then(() => (open = false));
  const endAt = Date.now() + closeAfterMs;
  /**
   * Resolves true once the socket's buffer has drained; false if the client went away first, or
   * the server began closing (checked every second: a stalled client must not hold the shutdown up).
   */
  const drained = (): Promise<boolean> =>
    new Promise((resolve) => {
      if (!open || feed.closed) return resolve(false);
      const settle = (value: boolean) => () => {
        raw.off('drain', onDrain);
        request.raw.off('close', onClose);
        raw.off('close', onClose);
        clearInterval(closing);
        resolve(value && open);
      };
      const onDrain = settle(true);
      const onClose = settle(false);
      raw.once('drain', onDrain);
      request.raw.once('close', onClose);
      raw.once('close', onClose);
      const closing = setInterval(() => feed.closed && onClose(), 1000);
    });
  /**
   * Writes a batch's events in slices of about 64 KB, each once the socket has taken the last: the
   * process holds at most a slice for a client that does not read. Never cut short (a client given
   * part of a batch without its up-to-date would get that part again); false if the client went away.
   */
  const writeAll = async (events: readonly string[]): Promise<boolean> => {
    for (let start = 0; start < events.length; ) {
      let end = start;
      let bytes = 0;
      while (end < events.length && (end === start || bytes < 64 * 1024)) bytes += events[end++]!.length;
      if (!raw.write(events.slice(start, end).join('')) && !(await drained())) {
        // Cut mid-batch (the server is closing): destroyed, not ended, so no part passes for a whole batch.
        raw.destroy();
        return false;
      }
      start = end;
    }
    return true;
  };
  let pending: LogRead | undefined = options.first;
  let through = options.first.upToDate ? options.first.globalLsn : options.first.throughLsn;
  try {
    while (open && !feed.closed && !options.stale() && Date.now() < endAt) {
      const waiter = feed.waitFor(options.shape, options.handle, through);
      try {
        const fromBeforeOpen = pending !== undefined;
        const result = pending ?? (await options.read(through));
        pending = undefined;
        if (result.messages.length > 0) {
          const events = result.messages.map((message) => `data: ${message}\n\n`);
          const lsn = result.upToDate ? result.globalLsn : result.throughLsn;
          events.push(`data: ${upToDateMessage(lsn)}\n\n`);
          if (!(await writeAll(events))) break;
        }
        through = result.upToDate ? result.globalLsn : result.throughLsn;
        // More to send, or the first read predates this waiter: read again before waiting.
        if (!result.upToDate || fromBeforeOpen) continue;
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          waiter.changed.then(() => 'changed' as const),
          closed.then(() => 'closed' as const),
          new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), Math.min(keepAliveMs, Math.max(0, endAt - Date.now()))))),
        ]);
        clearTimeout(timer);
        if (outcome === 'idle' && open) raw.write(': keep-alive\n\n');
      } finally {
        // Also when the read throws: a waiter left behind would keep its shape's live log.
        waiter.cancel();
      }
    }
  } catch (error) {
    request.log.error({ err: error }, 'SSE shape stream failed');
  } finally {
    raw.end();
  }
}
