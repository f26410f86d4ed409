/**
 * The shared mutators as Replicache mutators: `new Replicache({mutators: replicacheMutators(actor), …})`
 * and `rep.mutate['cart.add'](args)`. Each runs `runMutation` from @niaga/mutators against the
 * local view (`location: 'device'`); the server runs the same mutator authoritatively on push.
 *
 * Replicache runs a mutator once when it is called (`reason: 'initial'`) and again on every pull
 * while it is pending (`'rebase'`). A rejection on the initial run throws to the caller and
 * nothing is queued. On a rebase it must not throw (Replicache would fail the whole pull): the
 * mutation then has no local effect until the server's verdict arrives.
 */
import { defaultPolicy, mutators, runMutation, type Actor, type MutationPolicy } from '@niaga/mutators';
import type { ReadonlyJSONValue, WriteTransaction } from 'replicache';
import { ReplicacheMutationTx } from './replicache-mutation-tx.ts';

export type ReplicacheMutator = (tx: WriteTransaction, args: ReadonlyJSONValue) => Promise<void>;

export interface ReplicacheMutatorsOptions {
  readonly policy?: MutationPolicy;
  /** The device clock, ISO (default: now). */
  readonly now?: () => string;
  /** Told when a pending mutation fails while being replayed on newer data (it then does nothing locally). */
  readonly onReplayError?: (name: string, error: unknown) => void;
}

/** 32-bit FNV-1a of `text`, from `seed`. */
function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Ids for the rows a mutation creates beyond those in its args, the same on every replay of that
 * mutation (Replicache mutators must be deterministic): a uuid v4 layout over a hash of the
 * client id, the mutation id and a counter.
 */
export function replayableIDs(clientID: string, mutationID: number): () => string {
  let counter = 0;
  return () => {
    const seed = `${clientID}/${mutationID}/${counter++}`;
    const hex = [0x811c9dc5, 0x9e3779b9, 0x85ebca6b, 0xc2b2ae35].map((basis) => fnv1a(seed, basis).toString(16).padStart(8, '0')).join('');
    const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
}

/** Every shared mutator, by name, as a Replicache mutator run for `actor`. */
export function replicacheMutators(actor: Actor, options: ReplicacheMutatorsOptions = {}): Record<string, ReplicacheMutator> {
  const now = options.now ?? (() => new Date().toISOString());
  const policy = options.policy ?? defaultPolicy;
  const defs: Record<string, ReplicacheMutator> = {};
  for (const name of mutators.keys()) {
    defs[name] = async (tx, args) => {
      const local = new ReplicacheMutationTx(tx);
      try {
        await runMutation(name, args, { tx: local, actor, clientID: tx.clientID, mutationID: tx.mutationID, now: now(), newID: replayableIDs(tx.clientID, tx.mutationID), policy });
      } catch (error) {
        if (tx.reason === 'initial') throw error;
        options.onReplayError?.(name, error);
        return;
      }
      await local.flush();
    };
  }
  return defs;
}
