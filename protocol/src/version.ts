/** Bumped when a wire message changes incompatibly. Sent by clients in `Niaga-Protocol-Version`. */
export const PROTOCOL_VERSION = 1;

export const Header = {
  authorization: 'authorization',
  protocolVersion: 'niaga-protocol-version',
  requestID: 'x-request-id',
} as const;
