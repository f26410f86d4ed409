import type { AccessClaims, Role } from '@niaga/protocol';
import type { FastifyRequest } from 'fastify';
import { forbidden, unauthenticated } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth guard from a valid access token; null for anonymous requests. */
    user: AccessClaims | null;
  }
}

export function requireUser(request: FastifyRequest, allowed?: readonly Role[]): AccessClaims {
  const user = request.user;
  if (!user) throw unauthenticated();
  if (allowed && !allowed.includes(user.role)) {
    throw forbidden(`This needs one of the roles ${allowed.join(', ')}; you are ${user.role}`);
  }
  return user;
}
