/** Bumped when a wire message changes incompatibly. Sent by clients in `Niaga-Protocol-Version`. */
export const PROTOCOL_VERSION = 1;

export const Header = {
  authorization: 'authorization',
  protocolVersion: 'niaga-protocol-version',
  requestID: 'x-request-id',
  /** The device's wall clock when it sent a push (ISO 8601): the server measures the device's clock offset from it. */
  deviceTime: 'niaga-device-time',
} as const;
