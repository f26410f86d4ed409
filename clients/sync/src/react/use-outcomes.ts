import type { LocalStore } from '../local-store.ts';
import { readOutcomes, RESULTS_TABLE, type MutationOutcomeRecord } from '../outcomes.ts';
import { useLiveQuery, type LiveQueryResult } from './use-live-query.ts';

const watched = [RESULTS_TABLE];

/**
 * The outcomes inbox, live: this user's mutations the server rejected, backordered or adjusted
 * (`sync.mutation_results`), newest first; empty until that table has synced.
 */
export function useOutcomes(store: LocalStore): LiveQueryResult<MutationOutcomeRecord[]> {
  return useLiveQuery(store, readOutcomes, watched);
}
