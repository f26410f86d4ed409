/**
 * The client's `where` (or one of its `params[n]`) cannot be accepted. Maps to HTTP 400; the
 * message is safe to show the client and names the offending part and, when it has one, its
 * 1-based character position in the where text.
 */
export class WhereError extends Error {
  override readonly name = 'WhereError';
  readonly code = 'INVALID_WHERE';
  readonly position?: number;

  /** `message` may contain `{at}`, replaced by "at position N". */
  constructor(message: string, position?: number) {
    super(message.replace('{at}', position === undefined ? '' : `at position ${position}`).replace(/ {2,}/g, ' ').trim());
    if (position !== undefined) this.position = position;
  }
}

/** The sentence every "you used something we do not support" error ends with. */
export const ALLOWED_CONSTRUCTS =
  'only comparisons, AND/OR/NOT, IN, IS [NOT] NULL, LIKE/ILIKE and $n parameters are allowed';
