import { useCallback, useRef, useState } from 'react';
import type { MutationReceipt, SyncClient } from '../sync-client.ts';

/** How one mutate() call ended: queued (durable on the device), or refused there and queued nothing. */
export type MutateResult = { readonly ok: true; readonly receipt: MutationReceipt } | { readonly ok: false; readonly error: Error };

export interface MutatorState {
  /**
   * Runs mutator `name` on the device and queues it (client.mutate). Never throws: a rejection the
   * device can already see (a MutationRejected: no permission, invalid args, wrong scan, …) or a
   * store failure comes back as the result and as `error`.
   */
  readonly mutate: (name: string, args: unknown) => Promise<MutateResult>;
  /** A mutate() call has not finished yet. */
  readonly pending: boolean;
  /** How the latest finished call failed (`instanceof MutationRejected` for a refusal, with its `code`); cleared when one starts. */
  readonly error: Error | undefined;
}

export function useMutator(client: Pick<SyncClient, 'mutate'>): MutatorState {
  const [running, setRunning] = useState(0);
  const [error, setError] = useState<Error | undefined>(undefined);
  /** Calls started, so that only the latest call's outcome sets `error`. */
  const started = useRef(0);

  const mutate = useCallback(
    async (name: string, args: unknown): Promise<MutateResult> => {
      const call = ++started.current;
      setRunning((count) => count + 1);
      setError(undefined);
      try {
        return { ok: true, receipt: await client.mutate(name, args) };
      } catch (thrown) {
        const failure = asError(thrown);
        if (call === started.current) setError(failure);
        return { ok: false, error: failure };
      } finally {
        setRunning((count) => count - 1);
      }
    },
    [client],
  );

  return { mutate, pending: running > 0, error };
}

function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
