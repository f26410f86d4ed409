/**
 * How a store hears what other instances over the same database committed (other tabs, other
 * workers, another store in this process): each posts the synced tables a committed transaction
 * wrote on a BroadcastChannel named for the database.
 */

/** The part of BroadcastChannel both the DOM and Node provide. */
export interface StoreChannel {
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/**
 * The channel `name`, or undefined where there is no BroadcastChannel (then a store hears only its
 * own commits). Posting still works once it is closed: a transaction that was running when its
 * store closed commits after the close, and the other instances must hear it (a BroadcastChannel
 * would throw instead, failing the committed transaction's caller).
 */
export function openStoreChannel(name: string): StoreChannel | undefined {
  const BroadcastChannelClass = (globalThis as unknown as { BroadcastChannel?: new (name: string) => StoreChannel }).BroadcastChannel;
  if (!BroadcastChannelClass) return undefined;
  const channel = new BroadcastChannelClass(name);
  let closed = false;
  return {
    get onmessage() {
      return channel.onmessage;
    },
    set onmessage(handler) {
      channel.onmessage = handler;
    },
    postMessage(message) {
      if (!closed) return channel.postMessage(message);
      // Through a channel of its own, closed at once: what is posted is delivered all the same.
      const once = new BroadcastChannelClass(name);
      try {
        once.postMessage(message);
      } finally {
        once.close();
      }
    },
    close() {
      closed = true;
      channel.close();
    },
  };
}

/** A message another instance posted: the tables its transaction wrote. */
export const isTableList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Calls each listener with `tables`; one that throws is reported as an event listener's error is, and starves no other. */
export function notifyListeners(listeners: Iterable<(tables: ReadonlySet<string>) => void>, tables: ReadonlySet<string>): void {
  for (const listener of [...listeners]) {
    try {
      listener(tables);
    } catch (error) {
      // The transaction has committed: its caller must not see a listener's failure.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
