/** Looks a mutator up, checks its arguments and runs it: the same steps on the device and the server. */
import { defaultPolicy, parseArgs, type Actor, type MutationPolicy, type MutatorContext } from './define-mutator.ts';
import type { MutationTx } from './mutation-tx.ts';
import { applied, reject, type MutationOutcome } from './outcome.ts';
import { mutators } from './registry.ts';

export interface RunMutationOptions {
  tx: MutationTx;
  actor: Actor;
  clientID: string;
  mutationID: number;
  now: string;
  newID: () => string;
  emit?: MutatorContext['emit'];
  policy?: MutationPolicy;
}

/** Runs mutation `name`; a rejection is thrown as MutationRejected, for the caller to roll back. */
export async function runMutation(name: string, args: unknown, options: RunMutationOptions): Promise<MutationOutcome> {
  const mutator = mutators.get(name) ?? reject('UNKNOWN_MUTATOR', `There is no mutator named "${name}"`, { name });
  const parsed = parseArgs(mutator, args);
  const ctx: MutatorContext = {
    tx: options.tx,
    actor: options.actor,
    clientID: options.clientID,
    mutationID: options.mutationID,
    now: options.now,
    policy: options.policy ?? defaultPolicy,
    newID: options.newID,
    emit: options.emit ?? (async () => {}),
  };
  return (await mutator.run(ctx, parsed)) ?? applied;
}
