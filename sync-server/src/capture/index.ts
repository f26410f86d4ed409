export { CaptureError, CaptureErrorCode } from './capture-error.ts';
export { silentLogger, type CaptureLogger } from './capture-logger.ts';
export { appendTransactions, changeLogChannel, truncateChannel, type AppendResult, type LoggableTransaction } from './log-appender.ts';
export { formatLsn, parseLsn } from './lsn.ts';
export { defaultPublicationName, defaultSlotName, ensureCaptureSetup, type CaptureSetupOptions, type CaptureSetupResult } from './pg-capture-setup.ts';
export { startReplicationLeader, type ReplicationLeader, type ReplicationLeaderOptions } from './replication-leader.ts';
export type { TruncateEvent } from './replication-stream.ts';
export {
  initialAssemblerState,
  isBetweenTransactions,
  stepAssembler,
  type AssembledTransaction,
  type AssemblerInput,
  type AssemblerState,
  type AssemblerStep,
  type CapturedChange,
  type ChangeOperation,
  type TextRow,
} from './transaction-assembler.ts';
export { installTriggerCapture } from './trigger-capture.ts';
export { widenXid } from './xid.ts';
