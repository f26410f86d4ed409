export { useLiveQuery, type LiveQueryResult } from './use-live-query.ts';
export { useMutator, type MutateResult, type MutatorState } from './use-mutator.ts';
export { useOutcomes } from './use-outcomes.ts';
export { useSyncStatus } from './use-sync-status.ts';
