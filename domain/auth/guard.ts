import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../shared/errors.ts';
import '../shared/user.ts';
import type { TokenService } from './tokens.ts';

/**
 * Reads `Authorization: Bearer <token>` on every request. A missing header leaves request.user null
 * (routes decide whether that is allowed); a bad or expired token is a 401 at once.
 */
export const authGuard = fp<{ tokens: TokenService }>(
  async (app: FastifyInstance, { tokens }) => {
    app.decorateRequest('user', null);
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (header === undefined || header === '') return;
      const match = /^Bearer (\S+)$/i.exec(header);
      if (!match) throw new DomainError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <accessToken>"');
      request.user = await tokens.verify(match[1]!);
    });
  },
  { name: 'niaga-auth-guard' },
);
