/**
 * Listens to the server's poke stream (`GET /api/v1/sync/poke`, Server-Sent Events) and calls
 * `onPoke` on `ready` (just connected: catch up) and on every `poke`; pass `() => void rep.pull()`.
 * Read through fetch, so the token goes in the Authorization header (EventSource cannot send one)
 * and it works in Node too. Reconnects after the server ends the stream or it breaks, backing off
 * up to `maxRetryMs`; `close()` stops it.
 */
import { PokeEvent } from '@niaga/protocol';

export interface PokeListenerOptions {
  /** Absolute URL of the poke stream, e.g. `https://shop.example/api/v1/sync/poke`. */
  readonly url: string;
  /** The Authorization header value (`Bearer <accessToken>`), asked before each connection. */
  readonly auth: () => string | Promise<string>;
  readonly onPoke: () => void;
  readonly fetch?: typeof fetch;
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
}

export interface PokeListener {
  close(): void;
}

export function listenForPokes(options: PokeListenerOptions): PokeListener {
  const fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  const [minRetryMs, maxRetryMs] = [options.minRetryMs ?? 500, options.maxRetryMs ?? 30_000];
  let abort: AbortController | undefined;
  let closed = false;
  let wake: (() => void) | undefined;

  async function connectOnce(): Promise<boolean> {
    abort = new AbortController();
    const response = await fetcher(options.url, { headers: { authorization: await options.auth(), accept: 'text/event-stream' }, signal: abort.signal });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      return false;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let heard = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return heard;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        if (name === PokeEvent.ready || name === PokeEvent.poke) {
          heard = true;
          options.onPoke();
        }
      }
    }
  }

  void (async () => {
    let delay = minRetryMs;
    while (!closed) {
      const healthy = await connectOnce().catch(() => false);
      if (closed) break;
      delay = healthy ? minRetryMs : Math.min(maxRetryMs, delay * 2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    close() {
      closed = true;
      abort?.abort();
      wake?.();
    },
  };
}
