/**
 * `defineMutator(name, argsSchema, run)`: one definition per mutator, run optimistically on the
 * device and authoritatively on the server, which may add checks and decide differently through
 * `ctx.tx.location` (e.g. stock.count reconciles with the ledger only on the server).
 */
import type { AccessClaims } from '@niaga/protocol';
import type { Static, TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { Value } from 'typebox/value';
import type { MutationTx } from './mutation-tx.ts';
import { MutationRejected, type MutationOutcome } from './outcome.ts';

/** Who runs the mutation: the claims of their access token. */
export type Actor = Pick<AccessClaims, 'sub' | 'role' | 'warehouse_id' | 'territory_id' | 'agent_id' | 'customer_id'>;

/** Business settings the server decides by (the device uses the defaults for its optimistic run). */
export interface MutationPolicy {
  /** A count whose variance from the ledger is larger than this (in units) waits for an admin. */
  readonly countVarianceThreshold: number;
  /** A line price the device quoted is honoured if it was the catalogue price this recently. */
  readonly priceHonourWindowMs: number;
}

export const defaultPolicy: MutationPolicy = { countVarianceThreshold: 20, priceHonourWindowMs: 72 * 3600_000 };

export interface MutatorContext {
  readonly tx: MutationTx;
  readonly actor: Actor;
  readonly clientID: string;
  readonly mutationID: number;
  /** Now, as an ISO timestamp: the device's clock on the device, the server's on the server. */
  readonly now: string;
  readonly policy: MutationPolicy;
  /** A new random uuid, for rows the mutation creates beyond the ids it was given. */
  newID(): string;
  /** Records a domain event (written to the outbox on the server; ignored on the device). */
  emit(type: string, payload: Readonly<Record<string, unknown>>): Promise<void>;
}

export interface Mutator<Args = unknown> {
  readonly name: string;
  readonly argsSchema: TSchema;
  run(ctx: MutatorContext, args: Args): Promise<MutationOutcome | void>;
}

export function defineMutator<S extends TSchema>(
  name: string,
  argsSchema: S,
  run: (ctx: MutatorContext, args: Static<S>) => Promise<MutationOutcome | void>,
): Mutator<Static<S>> {
  return { name, argsSchema, run };
}

/**
 * Each mutator's schema compiled once, on first use (typebox generates a checker ~10× faster than
 * `Value.Check`; where a Content-Security-Policy forbids generated code it checks dynamically).
 */
const validators = new WeakMap<Mutator<never>, Validator>();

function validatorOf(mutator: Mutator<never>): Validator {
  let validator = validators.get(mutator);
  if (!validator) validators.set(mutator, (validator = Compile(mutator.argsSchema)));
  return validator;
}

/** Checks `args` against the mutator's schema; a mismatch is a rejection naming each problem. */
export function parseArgs<Args>(mutator: Mutator<Args>, args: unknown): Args {
  if (validatorOf(mutator).Check(args)) return args as Args;
  const problems = [...Value.Errors(mutator.argsSchema, args)].slice(0, 10).map((error) => `${error.instancePath || '/'} ${error.message}`);
  throw new MutationRejected('INVALID_ARGS', `Invalid arguments for ${mutator.name}: ${problems.join('; ')}`, { problems });
}
