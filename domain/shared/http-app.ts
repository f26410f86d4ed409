import { AjvCompiler } from '@fastify/ajv-compiler';
import { ErrorBody } from '@niaga/protocol';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { DomainError } from './errors.ts';
import { answerClientError, registerErrorHandling, sendProblem } from './http-errors.ts';

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
 * Bodies are read as UTF-8: one declared in another charset would be stored mangled (Latin-1's
 * "é" became U+FFFD), so it is refused instead.
 */
function refuseOtherCharsets(contentType: string | undefined): void {
  const charset = contentType && /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType)?.[1];
  if (charset && !/^utf-?8$/i.test(charset)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `Bodies are read as UTF-8; this one is declared as ${charset}: send it in UTF-8`);
  }
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
    schemaController: { compilersFactory: { buildValidator: jsonBodiesAsTheyAre } },
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' && logLevel !== 'trace' }),
    // A bad URL or an overlong path parameter, and what Node refuses itself, answer as every error does.
    frameworkErrors: (error, request, reply) => void sendProblem(error, request, reply),
    clientErrorHandler: answerClientError,
  });
  registerErrorHandling(app);
  app.addHook('onRequest', async (request) => refuseOtherCharsets(request.headers['content-type']));
  app.addSchema(ErrorBody);
  return app;
}
