/**
 * Everything that can go wrong while capturing changes. The leader treats every one of them the
 * same way (log, stop streaming, release leadership, retry with backoff); the code says why.
 */
export const CaptureErrorCode = {
  /** The replication stream broke pgoutput's framing (a change outside BEGIN…COMMIT, …). A bug or corruption. */
  protocol: 'CAPTURE_PROTOCOL',
  /** An update or delete arrived without its old row: the table lost REPLICA IDENTITY FULL. Rerun the setup. */
  missingOldRow: 'CAPTURE_MISSING_OLD_ROW',
  /** A 32-bit xid nearest to the reference xid8 would lie before the first xid8 (a reference from another cluster, or none). */
  xidOutOfRange: 'CAPTURE_XID_OUT_OF_RANGE',
  /** A transaction decoded from the WAL did not become visible in time. Retried. */
  visibilityTimeout: 'CAPTURE_VISIBILITY_TIMEOUT',
  /** A batch to append was not in strictly increasing lsn order. A bug. */
  lsnOrder: 'CAPTURE_LSN_ORDER',
  /** A table, slot or publication name is not a plain lowercase identifier. Fix the configuration. */
  unsafeName: 'CAPTURE_UNSAFE_NAME',
  /** The slot exists but with another plugin or in another database. Drop it or choose another name. */
  slotMismatch: 'CAPTURE_SLOT_MISMATCH',
  /** The replication stream or the leadership connection ended while streaming. Retried. */
  connectionLost: 'CAPTURE_CONNECTION_LOST',
} as const;
export type CaptureErrorCode = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
