import { AjvCompiler } from '@fastify/ajv-compiler';
import { ErrorBody } from '@niaga/protocol';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
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

type BuildValidator = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;
/** How Fastify calls a validator compiler (the package's types describe Ajv's own compile instead). */
type CompileFor = (route: { httpPart?: string }) => unknown;
const ajvCompilers = AjvCompiler() as unknown as (externalSchemas: unknown, options: { customOptions?: Record<string, unknown> }) => CompileFor;

/**
 * Fastify's own validator, with two settings. Query strings, path parameters and headers are text,
 * so their values are coerced to the schema's types (`?limit=10`). A JSON body already has its
 * types and is taken as sent: coerced, `"quantity": true` would pass as 1 and record a movement.
 */
const jsonBodiesAsTheyAre = ((externalSchemas: unknown, options: { customOptions?: Record<string, unknown> } = {}): CompileFor => {
  const coercing = ajvCompilers(externalSchemas, options);
  const exact = ajvCompilers(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
  return (route) => (route.httpPart === 'body' ? exact(route) : coercing(route));
}) as unknown as BuildValidator;

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
    schemaController: { compilersFactory: { buildValidator: jsonBodiesAsTheyAre } },
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' && logLevel !== 'trace' }),
  });
  registerErrorHandling(app);
  app.addSchema(ErrorBody);
  return app;
}
