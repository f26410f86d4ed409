/** Retry delays (server relay and consumers, device push loop): exponential, capped, with jitter. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The delay before retry number `failures` (1 = first retry). "Equal jitter": half of the capped
 * exponential delay is fixed, half random, so many relays or consumers failing together spread out
 * without any of them retrying at once in a tight loop.
 */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Sleeps that wake() ends early; a wake() with nobody asleep is remembered for the next sleep. */
export class Alarm {
  private pending = false;
  private readonly rings = new Set<() => void>();

  /** `remember: false` only ends sleeps in progress (a reconnect should not skip a later backoff). */
  wake(remember = true): void {
    if (this.rings.size === 0 && remember) this.pending = true;
    for (const ring of [...this.rings]) ring();
  }

  async sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const ring = () => {
        clearTimeout(timer);
        this.rings.delete(ring);
        resolve();
      };
      const timer = setTimeout(ring, ms);
      // Node: a sleeping retry must not keep the process alive (browsers have no unref).
      (timer as { unref?: () => void }).unref?.();
      this.rings.add(ring);
    });
  }
}
