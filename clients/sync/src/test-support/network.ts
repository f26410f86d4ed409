/**
 * A device's network for tests: it can go down (requests fail, and those in flight are cut, as
 * when the signal drops) and can send requests to another server (one that answers garbage).
 */
export class TestNetwork {
  private online = true;
  private redirectTo: string | undefined;
  private readonly inFlight = new Set<AbortController>();

  readonly fetch: typeof fetch = async (input, init) => {
    if (!this.online) throw new TypeError('fetch failed: the network is down');
    const abort = new AbortController();
    const outer = init?.signal;
    if (outer?.aborted) abort.abort(outer.reason);
    outer?.addEventListener('abort', () => abort.abort(outer.reason), { once: true });
    this.inFlight.add(abort);
    try {
      let url = input instanceof Request ? input.url : String(input);
      if (this.redirectTo) url = this.redirectTo + url.slice(new URL(url).origin.length);
      return await fetch(url, { ...init, signal: abort.signal });
    } finally {
      this.inFlight.delete(abort);
    }
  };

  down(): void {
    this.online = false;
    for (const request of this.inFlight) request.abort(new TypeError('fetch failed: the network is down'));
  }

  up(): void {
    this.online = true;
  }

  /** Sends every request to `origin` instead (undefined: back to the real server). */
  redirect(origin: string | undefined): void {
    this.redirectTo = origin;
    for (const request of this.inFlight) request.abort(new TypeError('fetch failed: connection reset'));
  }
}
