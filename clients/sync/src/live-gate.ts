/**
 * Live updates over one connection. A browser opens at most 6 HTTP/1.1 connections per origin,
 * and one long-poll per synced table would hold them all: pushes, logins and the service worker's
 * downloads would queue behind requests the server holds for 20 s. So the gate listens to one
 * Server-Sent Events stream (`GET /api/v1/sync/poke`: `ready` on connect, `poke` when the user's
 * view changed) and holds each table's live request on the device until a poke arrives that the
 * table has not yet answered; it then sends it asking the server not to hold it (liveHoldParam), so
 * the server answers at once with what is new, exactly as a long-poll that ended. While the poke
 * stream is down, live requests go out unchanged, as ordinary long-polls.
 *
 * A table's requests are spaced at least MIN_SPACING_MS apart: the official client takes five
 * requests at one offset within 500 ms for a misconfigured proxy and backs off.
 */
import { Alarm, backoffDelay, liveHoldParam, PokeEvent, type BackoffPolicy } from '@niaga/protocol';
import type { Session } from './session.ts';

export interface LiveGateOptions {
  readonly serverURL: string;
  readonly session: Pick<Session, 'authorization' | 'refresh'>;
  readonly fetch: typeof fetch;
  /** A held request goes out after this long even without a poke (a safety net, not the mechanism). */
  readonly maxHoldMs?: number;
  readonly reconnect?: BackoffPolicy;
}

const MIN_SPACING_MS = 150;

export class LiveGate {
  /** Pokes (and connects) seen so far. */
  private generation = 0;
  private connected = false;
  /** Per table: the generation and the time when its last request went out. */
  private readonly sentAt = new Map<string, { readonly generation: number; readonly at: number }>();
  private readonly waiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private readonly retry = new Alarm();
  private readonly maxHoldMs: number;

  constructor(private readonly options: LiveGateOptions) {
    // Below the official client's own live request timeout (45 s), which would abort and back off.
    this.maxHoldMs = options.maxHoldMs ?? 30_000;
  }

  start(): void {
    void this.listen();
  }

  stop(): void {
    this.abort.abort();
    this.setConnected(false);
    this.retry.wake();
  }

  /** The network is back: reconnect now rather than at the end of the backoff. */
  reconnect(): void {
    this.retry.wake(false);
  }

  /** The shape streams' fetch: live requests wait for news, then go asking not to be held. */
  wrap(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const table = url.searchParams.get('table') ?? '';
      if (url.searchParams.get('live') === 'true') {
        // Aborted while held (a refresh, a stop): the request still goes, and fails as an aborted fetch does.
        await this.waitForNews(table, init?.signal ?? undefined);
        if (this.connected) {
          url.searchParams.set(liveHoldParam, '0');
          input = url.toString();
        }
      }
      this.sentAt.set(table, { generation: this.generation, at: Date.now() });
      return inner(input, init);
    };
  }

  private async waitForNews(table: string, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + this.maxHoldMs;
    const last = this.sentAt.get(table);
    while (this.connected && last && this.generation <= last.generation && Date.now() < deadline && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
        signal?.addEventListener('abort', done);
        this.waiters.add(done);
      });
    }
    const spacing = last ? last.at + MIN_SPACING_MS - Date.now() : 0;
    if (spacing > 0 && !signal?.aborted) await new Promise((resolve) => setTimeout(resolve, spacing));
  }

  private wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
    // Released either way: with news, or to go as ordinary long-polls while there is no stream.
    this.wakeAll();
  }

  private async listen(): Promise<void> {
    const policy = this.options.reconnect ?? { initialMs: 1000, maxMs: 30_000 };
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        const heard = await this.stream();
        failures = heard ? 0 : failures + 1;
      } catch {
        failures++;
      }
      this.setConnected(false);
      if (this.abort.signal.aborted) return;
      await this.retry.sleep(backoffDelay(policy, Math.max(failures, 1)));
    }
  }

  /** One connection to the poke stream, until it ends; whether it delivered anything. */
  private async stream(): Promise<boolean> {
    const response = await this.options.fetch(`${this.options.serverURL}/api/v1/sync/poke`, {
      headers: { Authorization: this.options.session.authorization(), Accept: 'text/event-stream' },
      signal: this.abort.signal,
    });
    if (response.status === 401) {
      await response.body?.cancel();
      await this.options.session.refresh();
      return true;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      return false;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let heard = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return heard;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const name = /^event: *(.*)$/m.exec(buffer.slice(0, end))?.[1]?.trim();
        buffer = buffer.slice(end + 2);
        if (name === PokeEvent.ready || name === PokeEvent.poke) {
          heard = true;
          this.generation++;
          if (!this.connected) this.connected = true;
          this.wakeAll();
        }
      }
    }
  }
}
