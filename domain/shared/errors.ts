import type { ErrorCode } from '@niaga/protocol';

/** A typed error with a stable code; the server's one error handler maps the code to a status. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'Your role may not do this') => new DomainError('FORBIDDEN', message);
export const unauthenticated = (message = 'Authentication required: send Authorization: Bearer <accessToken>') =>
  new DomainError('UNAUTHENTICATED', message);
