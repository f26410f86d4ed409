import type { FastifyReply } from 'fastify';

/**
 * How many live requests (held long-polls, SSE streams) one user may have open at once on this
 * instance. An app holds one per synced table per tab; a user past the limit is a runaway client
 * or a flood, and each held request costs the server memory and a turn on every change of its table.
 * One limit counts shape long-polls, shape SSE streams and Replicache poke streams together.
 */
export class LiveRequestLimit {
  private readonly open = new Map<string, number>();

  constructor(readonly perUser: number) {}

  /** Counts a live request of `user` in, or returns undefined if the user is at the limit. The returned function counts it out (once). */
  enter(user: string): (() => void) | undefined {
    const count = this.open.get(user) ?? 0;
    if (count >= this.perUser) return undefined;
    this.open.set(user, count + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const remaining = (this.open.get(user) ?? 1) - 1;
      if (remaining === 0) this.open.delete(user);
      else this.open.set(user, remaining);
    };
  }
}

/** How long a client over its live-request limit waits before it asks again. */
const retryAfterSeconds = 5;

/** 429 for a user at the limit: the official clients wait Retry-After and ask again with the same offset, so nothing is lost. */
export function refuseOverLimit(reply: FastifyReply, limit: LiveRequestLimit): FastifyReply {
  return reply
    .code(429)
    .header('cache-control', 'no-store')
    .header('retry-after', String(retryAfterSeconds))
    .send({
      code: 'RATE_LIMITED',
      message: `This user already holds ${limit.perUser} live requests on this server (the limit, SHAPE_MAX_LIVE_REQUESTS_PER_USER): close some, or try again in ${retryAfterSeconds} s`,
    });
}
