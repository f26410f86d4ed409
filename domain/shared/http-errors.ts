/**
 * The one place errors become HTTP answers: `{code, message, details}` with the status from the
 * error catalogue. Anything a client sends maps to a 4xx; only our own faults are 500.
 */
import { isTransientError, PgErrorCode, pgErrorCode } from '@niaga/db';
import { DomainError } from './errors.ts';
import { errorCatalogue, type ErrorBody, type ErrorCode } from '@niaga/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

interface Problem {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

const fastifyCodes: Partial<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'VALIDATION_FAILED',
};

function databaseProblem(error: unknown, method: string): Problem | undefined {
  const code = pgErrorCode(error);
  if (code === undefined) return undefined;
  const detail = error as { constraint?: string; detail?: string; column?: string };
  const details = { constraint: detail.constraint, column: detail.column };
  switch (code) {
    case PgErrorCode.uniqueViolation:
      return { code: 'DUPLICATE', message: `A row with this value already exists (${detail.constraint ?? 'unique key'})`, details };
    case PgErrorCode.foreignKeyViolation:
    case '23001': // restrict_violation: Postgres 18 (PGlite) reports an ON DELETE RESTRICT key with it
      return method === 'DELETE'
        ? { code: 'INVALID_STATE', message: 'Other rows still refer to this one; remove or reassign them first', details }
        : { code: 'REFERENCE_NOT_FOUND', message: `A referenced row does not exist (${detail.constraint ?? 'foreign key'})`, details };
    case '22021': // character not in repertoire: a NUL in text
    case '22P05': // untranslatable character: a NUL or half a surrogate pair escaped in JSON
      return { code: 'VALIDATION_FAILED', message: 'A text value holds a character the database cannot store: a NUL (\\u0000) or half of a UTF-16 surrogate pair', details };
    case PgErrorCode.checkViolation:
    case PgErrorCode.notNullViolation:
      return { code: 'VALIDATION_FAILED', message: `A value breaks a rule of the data (${detail.constraint ?? detail.column ?? code})`, details };
    default:
      // Class 22, data exception: a value the client sent that its column cannot hold (too long, out of range, malformed).
      return code.startsWith('22') ? { code: 'VALIDATION_FAILED', message: `A value breaks a rule of the data (${detail.constraint ?? detail.column ?? code})`, details } : undefined;
  }
}

export function toProblem(error: unknown, method: string): Problem {
  if (error instanceof DomainError) return { code: error.code, message: error.message, details: error.details };
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const where = fastifyError.validationContext ?? 'request';
    return {
      code: 'VALIDATION_FAILED',
      message: `Invalid ${where}: ${fastifyError.validation.map((issue) => `${issue.instancePath || '/'} ${issue.message ?? 'is invalid'}`).join('; ')}`,
      details: fastifyError.validation.map((issue) => ({
        in: where,
        path: issue.instancePath || '/',
        message: issue.message,
        ...(issue.params && Object.keys(issue.params).length > 0 ? { params: issue.params } : {}),
      })),
    };
  }
  const mapped = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (mapped) return { code: mapped, message: fastifyError.message ?? mapped };
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return { code: 'BAD_REQUEST', message: (error as Error).message };
  }
  const database = databaseProblem(error, method);
  if (database) return database;
  // The database's momentary trouble (a connection lost or refused, a lock or statement timeout, a
  // deadlock or serialization failure, a shutdown, resources exhausted: the same test the push path
  // and the event consumers make) is not the request's fault. A retry is safe: every write route
  // runs in one transaction, which the error rolled back whole.
  if (isTransientError(error)) return { code: 'UNAVAILABLE', message: 'The database is unavailable' };
  return { code: 'INTERNAL', message: 'Internal server error' };
}

/** Answers an error as `{code, message, details}` with its catalogue status. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = toProblem(error, request.method);
  const status = errorCatalogue[problem.code].status;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  const body: ErrorBody = { code: problem.code, message: problem.message, ...(problem.details === undefined ? {} : { details: problem.details }) };
  if (problem.code === 'UNAVAILABLE') void reply.header('retry-after', '1');
  return reply.code(status).send(body);
}

/**
 * What Node refuses before Fastify sees a request (headers over the limit, a request too slow to
 * arrive, bytes that are not HTTP), answered in the same shape as every other error.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem: Problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? { code: 'HEADERS_TOO_LARGE', message: 'The request headers are over the 16 KB limit' }
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? { code: 'REQUEST_TIMEOUT', message: 'The request did not arrive in full in time' }
        : { code: 'BAD_REQUEST', message: `The request is not valid HTTP (${error.code ?? error.message})` };
  const status = errorCatalogue[problem.code].status;
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => sendProblem(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { code: 'ROUTE_NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` };
    return reply.code(404).send(body);
  });
}
