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

/** The channel `name`, or undefined where there is no BroadcastChannel (then a store hears only its own commits). */
export function openStoreChannel(name: string): StoreChannel | undefined {
  const BroadcastChannelClass = (globalThis as unknown as { BroadcastChannel?: new (name: string) => StoreChannel }).BroadcastChannel;
  return BroadcastChannelClass ? new BroadcastChannelClass(name) : undefined;
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
