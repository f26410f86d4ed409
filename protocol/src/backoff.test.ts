import fc from 'fast-check';
import { expect, test } from 'vitest';
import { Alarm, backoffDelay } from './backoff.ts';

test('retry delays grow exponentially up to the ceiling, jittered between half and all of it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (initialMs, extra, failures, random) => {
      const policy = { initialMs, maxMs: initialMs + extra };
      const ceiling = Math.min(policy.maxMs, initialMs * 2 ** Math.max(failures - 1, 0));
      const delay = backoffDelay(policy, failures, () => random);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
      expect(delay).toBeLessThanOrEqual(Math.ceil(ceiling));
      expect(delay).toBeLessThanOrEqual(policy.maxMs);
    }),
  );
  expect(backoffDelay({ initialMs: 100, maxMs: 1000 }, 50, () => 0.999)).toBe(1000);
});

test('an alarm ends a sleep early, remembers a wake with nobody asleep, and can ring only current sleepers', async () => {
  const alarm = new Alarm();
  const started = Date.now();
  const sleeping = alarm.sleep(60_000);
  alarm.wake();
  await sleeping;
  expect(Date.now() - started).toBeLessThan(1000);

  alarm.wake();
  await alarm.sleep(60_000); // returns at once: the wake was remembered

  alarm.wake(false); // nobody asleep: forgotten
  let woke = false;
  const next = alarm.sleep(20).then(() => (woke = true));
  await next;
  expect(woke).toBe(true);
});
