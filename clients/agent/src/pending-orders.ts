/**
 * Which orders this device placed that the server has not confirmed yet (still in the queue), and
 * the orders the server refused (their optimistic rows are undone; the outcome says why). Refused
 * orders are matched to what was entered through a small local record of each placement.
 */
import type { LocalStore, MutationOutcomeRecord } from '@niaga/sync';
import { useLiveQuery, useOutcomes } from '@niaga/sync/react';

const watched = ['orders.orders', 'sync.clients'];

export function usePendingOrderIDs(store: LocalStore): ReadonlySet<string> {
  const { data } = useLiveQuery(
    store,
    async (tx) => new Set((await tx.listPending()).filter((mutation) => mutation.name === 'order.place').map((mutation) => (mutation.args as { orderID: string }).orderID)),
    watched,
  );
  return data ?? new Set();
}

export function useRefusedOrders(store: LocalStore): MutationOutcomeRecord[] {
  return (useOutcomes(store).data ?? []).filter((outcome) => outcome.name === 'order.place' && outcome.status === 'rejected');
}
