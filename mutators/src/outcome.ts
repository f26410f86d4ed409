/**
 * What became of a mutation. Expected outcomes are values: a mutator returns `adjusted(...)` or
 * `backordered(...)` when it applied something other than what was asked, and throws a
 * `MutationRejected` (via `reject(...)`) when nothing may apply: the caller rolls the effects back
 * and records the rejection, and the queue moves on.
 */
export const mutationStatuses = ['applied', 'rejected', 'backordered', 'adjusted'] as const;
export type MutationStatus = (typeof mutationStatuses)[number];

/** Stable codes a device can branch on. */
export type RejectionCode =
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INVALID_ARGS'
  | 'INVALID_STATE'
  | 'UNKNOWN_MUTATOR'
  | 'WRONG_ITEM'
  | 'INSUFFICIENT_STOCK';

export interface MutationOutcome {
  readonly status: MutationStatus;
  readonly code?: string;
  readonly message?: string;
  readonly details?: unknown;
}

export const applied: MutationOutcome = { status: 'applied' };

export function adjusted(code: string, message: string, details?: unknown): MutationOutcome {
  return { status: 'adjusted', code, message, ...(details === undefined ? {} : { details }) };
}

export function backordered(code: string, message: string, details?: unknown): MutationOutcome {
  return { status: 'backordered', code, message, ...(details === undefined ? {} : { details }) };
}

export class MutationRejected extends Error {
  override readonly name = 'MutationRejected';
  constructor(
    readonly code: RejectionCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  get outcome(): MutationOutcome {
    return { status: 'rejected', code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}

export function reject(code: RejectionCode, message: string, details?: unknown): never {
  throw new MutationRejected(code, message, details);
}
