import { ErrorBody } from '@niaga/protocol';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { registerErrorHandling } from './http-errors.ts';

export interface HttpAppOptions {
  logLevel?: string;
  bodyLimitBytes?: number;
  /**
   * A connection that makes no progress either way for this long is closed: a client that stopped
   * reading (an app suspended in the background) would otherwise keep its socket and what is
   * buffered for it for good. Longer than any wait the server holds on purpose (long-polls, 20 s;
   * keep-alives of the SSE streams, 21 s at most).
   */
  idleTimeoutMs?: number;
}

/**
 * A Fastify instance with the API's validation settings and error handling. The server and the
 * domain route tests both start from this, so tests see exactly the production behaviour.
 */
export function createHttpApp({ logLevel = 'silent', bodyLimitBytes = 1024 * 1024, idleTimeoutMs = 120_000 }: HttpAppOptions = {}): FastifyInstance {
  const app = Fastify({
    connectionTimeout: idleTimeoutMs,
    logger: { level: logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    bodyLimit: bodyLimitBytes,
    // Unknown fields are an error (not silently dropped), and every problem is reported at once.
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } },
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' && logLevel !== 'trace' }),
  });
  registerErrorHandling(app);
  app.addSchema(ErrorBody);
  return app;
}
