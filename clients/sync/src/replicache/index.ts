/**
 * `@niaga/sync/replicache`: the shared mutators for apps built on the official `replicache`
 * client (15.3.0), against the server's Replicache push and pull (`/api/v1/sync/push`,
 * `/api/v1/sync/pull`) and its poke stream (`/api/v1/sync/poke`).
 */
export { ReplicacheMutationTx, rowKey } from './replicache-mutation-tx.ts';
export { replayableIDs, replicacheMutators, type ReplicacheMutator, type ReplicacheMutatorsOptions } from './replicache-mutators.ts';
export { catchUpPuller, type PullingReplicache } from './catch-up-puller.ts';
export { listenForPokes, type PokeListener, type PokeListenerOptions } from './poke-listener.ts';
