import type { Queryable } from '@niaga/db';
import type { RevocationReason } from './session-store.ts';

/**
 * The sessions revoked recently enough that access tokens issued to them may not have expired
 * yet. Access tokens are checked by signature only, so without this a revoked device would go on
 * syncing for up to the access token's lifetime; with it the guard refuses such tokens at once.
 *
 * Each instance re-reads the list every few seconds (to see revocations made by another one); the
 * instance that revokes calls `refresh()` so its own revocations apply immediately.
 */
export class RevokedSessions {
  private reasons = new Map<string, RevocationReason>();
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly db: Queryable,
    /** How far back to look: the access token lifetime (older revocations have no live tokens). */
    private readonly windowSeconds: number,
    private readonly intervalMs = 2000,
  ) {}

  /** Why the session family `sid` was revoked, if it was within the window. */
  reasonFor(sid: string): RevocationReason | undefined {
    return this.reasons.get(sid);
  }

  /** Reads the list again; calls made while a read runs are served by a read that starts after it. */
  refresh(): Promise<void> {
    this.chain = this.chain.then(
      () => this.load(),
      () => this.load(),
    );
    return this.chain;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      // A failed read keeps the last list; the next tick tries again.
      this.refresh().catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load(): Promise<void> {
    const { rows } = await this.db.query<{ family_id: string; reason: RevocationReason | null }>(
      `select distinct on (family_id) family_id, revoked_reason as reason
       from auth.sessions
       where revoked_at > now() - make_interval(secs => $1)
       order by family_id, revoked_at desc`,
      [this.windowSeconds],
    );
    this.reasons = new Map(rows.map((row) => [row.family_id, row.reason ?? 'logout']));
  }
}
