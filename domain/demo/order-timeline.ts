import type { Random } from './random.ts';
import { BASE_MS, DAY, HOUR, MINUTE } from './time.ts';

export type DemoOrderStatus = 'placed' | 'confirmed' | 'backordered' | 'picking' | 'shipped' | 'delivered' | 'cancelled';

/** When each step of an order happened; steps after its status are never used. */
export interface OrderTimeline {
  placedMs: number;
  confirmedMs: number;
  pickStartMs: number;
  shippedMs: number;
  deliveredMs: number;
  cancelledMs: number;
}

/** Older orders are mostly done; the last few days hold the open work (to confirm, pick, ship). */
export function statusForAge(random: Random, daysAgo: number): DemoOrderStatus {
  if (daysAgo > 14) return random.weighted([['delivered', 88], ['cancelled', 12]] as const);
  if (daysAgo > 3) {
    return random.weighted([['delivered', 50], ['shipped', 20], ['backordered', 8], ['confirmed', 5], ['picking', 5], ['cancelled', 12]] as const);
  }
  return random.weighted([['placed', 20], ['confirmed', 25], ['backordered', 12], ['picking', 20], ['shipped', 15], ['cancelled', 8]] as const);
}

export function orderTimeline(random: Random, placedMs: number): OrderTimeline {
  const confirmedMs = placedMs + random.int(5, 90) * MINUTE;
  const shippedMs = placedMs + DAY + random.int(2, 10) * HOUR;
  return {
    placedMs,
    confirmedMs,
    pickStartMs: confirmedMs + random.int(1, 10) * HOUR,
    shippedMs,
    deliveredMs: shippedMs + random.int(1, 2) * DAY + random.int(0, 6) * HOUR,
    cancelledMs: Math.min(placedMs + random.int(1, 36) * HOUR, BASE_MS - MINUTE),
  };
}

/** A step that would fall after "now" (the base date) has not happened yet: step the status back. */
export function clampToNow(status: DemoOrderStatus, timeline: OrderTimeline): DemoOrderStatus {
  let current = status;
  if (current === 'delivered' && timeline.deliveredMs >= BASE_MS) current = 'shipped';
  if (current === 'shipped' && timeline.shippedMs >= BASE_MS) current = 'picking';
  if (current === 'picking' && timeline.pickStartMs + HOUR >= BASE_MS) current = 'confirmed';
  if ((current === 'confirmed' || current === 'backordered') && timeline.confirmedMs >= BASE_MS) current = 'placed';
  return current;
}

/** Status changes so far (the row's version) and when the last one happened. */
export function lastChange(status: DemoOrderStatus, timeline: OrderTimeline): { version: number; atMs: number } {
  switch (status) {
    case 'placed':
      return { version: 1, atMs: timeline.placedMs };
    case 'confirmed':
    case 'backordered':
      return { version: 2, atMs: timeline.confirmedMs };
    case 'cancelled':
      return { version: 2, atMs: timeline.cancelledMs };
    case 'picking':
      return { version: 3, atMs: timeline.pickStartMs };
    case 'shipped':
      return { version: 4, atMs: timeline.shippedMs };
    case 'delivered':
      return { version: 5, atMs: timeline.deliveredMs };
  }
}
