/**
 * Every error code the API answers with, its HTTP status, and one line on what the caller should
 * do. docs/errors.md lists the same codes; a test keeps the two in step.
 */
export const errorCatalogue = {
  BAD_REQUEST: { status: 400, action: 'The request is malformed (e.g. invalid JSON); fix it and resend.' },
  VALIDATION_FAILED: { status: 400, action: 'A field is missing or invalid; `details` lists each problem by path.' },
  REFERENCE_NOT_FOUND: { status: 400, action: 'The body names a related row (e.g. categoryId) that does not exist; check the id.' },
  INVALID_WHERE: { status: 400, action: 'The shape `where` uses something unsupported or unknown; the message names it and its position.' },
  INVALID_CURSOR: { status: 400, action: 'The `cursor` query parameter was not returned by this list; start again without it.' },
  UNAUTHENTICATED: { status: 401, action: 'Send `Authorization: Bearer <accessToken>` from POST /api/v1/auth/login.' },
  TOKEN_EXPIRED: { status: 401, action: 'The access token expired; get a new one with POST /api/v1/auth/refresh.' },
  INVALID_CREDENTIALS: { status: 401, action: 'Email or password is wrong, or the account is disabled.' },
  REFRESH_TOKEN_INVALID: { status: 401, action: 'The refresh token is unknown, expired or revoked; log in again.' },
  REFRESH_TOKEN_REUSED: { status: 401, action: 'An already-used refresh token was presented; the whole session was revoked for safety. Log in again.' },
  SESSION_REVOKED: { status: 401, action: 'The session was ended (logout, password change); log in again. Data on the device may be kept.' },
  DEVICE_REVOKED: { status: 401, action: 'An administrator revoked this device, or disabled the account: delete the data the device synced, then log in again.' },
  FORBIDDEN: { status: 403, action: 'Your role may not do this; use an account with the right role.' },
  NOT_FOUND: { status: 404, action: 'No such row, or it is outside what your role may see.' },
  ROUTE_NOT_FOUND: { status: 404, action: 'No such route; see /api/v1/openapi.json for the API.' },
  METHOD_NOT_ALLOWED: { status: 405, action: 'This route does not accept that HTTP method.' },
  REQUEST_TIMEOUT: { status: 408, action: 'The request did not arrive in full in time; send it again.' },
  DUPLICATE: { status: 409, action: 'A row with the same unique key exists; `details.constraint` names the key.' },
  MUTATION_ID_GAP: { status: 409, action: 'A pushed mutation id skips ahead of what the server has applied for that client; resend the pending mutations from the one after `details.lastMutationID`.' },
  INVALID_STATE: { status: 409, action: 'The row is in a state that does not allow this change (e.g. deleting a category that has products).' },
  PAYLOAD_TOO_LARGE: { status: 413, action: 'The body is over the size limit; send less per request.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, action: 'Send the body as application/json, in UTF-8 (no other charset).' },
  RATE_LIMITED: { status: 429, action: 'Too many requests; wait for `retry-after` seconds.' },
  HEADERS_TOO_LARGE: { status: 431, action: 'The request headers are over the server limit (16 KB): send fewer or shorter cookies and headers.' },
  INTERNAL: { status: 500, action: 'A server fault, not your request; retry later and report the request id if it persists.' },
  UNAVAILABLE: { status: 503, action: 'A dependency (e.g. the database) is down or momentarily unable (a lock or statement timeout, a deadlock); nothing was applied: retry with backoff.' },
} as const satisfies Record<string, { status: number; action: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export function statusOf(code: ErrorCode): number {
  return errorCatalogue[code].status;
}
