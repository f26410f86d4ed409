/** Running a shared mutator on the device: optimistic, over the local store, undoable. */
import { defaultPolicy, runMutation, type Actor, type MutationPolicy } from '@niaga/mutators';
import type { PendingMutation } from './local-store.ts';
import { applyUndo, RecordingTx } from './recording-tx.ts';
import type { RowAccess } from './row-overlay.ts';

export interface DeviceContext {
  readonly actor: Actor;
  /** The tables this device syncs: the mutator finds nothing in others, and its writes to them are dropped. */
  readonly localTables: ReadonlySet<string>;
  readonly policy?: MutationPolicy;
  readonly newID?: () => string;
}

/**
 * Runs `mutation` over the store and returns the undo entries of its effect and what it read. If the mutator
 * throws (a rejection the device can already see), whatever it wrote is undone before the error
 * propagates (the store's savepoint, then the recorded images): the store is as it was.
 */
export async function runOnDevice(tx: RowAccess, mutation: Omit<PendingMutation, 'undo' | 'reads'>, context: DeviceContext): Promise<Pick<PendingMutation, 'undo' | 'reads'>> {
  const recording = new RecordingTx(tx, context.localTables);
  try {
    // In a savepoint: a statement that fails inside the mutator must not spoil the local transaction.
    await tx.attempt(() => runMutation(mutation.name, mutation.args, {
      tx: recording,
      actor: context.actor,
      clientID: mutation.clientID,
      mutationID: mutation.id,
      now: mutation.createdAt,
      newID: context.newID ?? (() => crypto.randomUUID()),
      policy: context.policy ?? defaultPolicy,
    }));
  } catch (error) {
    await applyUndo(tx, recording.entries());
    throw error;
  }
  return { undo: recording.entries(), reads: recording.reads() };
}
