/**
 * The LocalStore contract (local-store.ts) as tests, written once and run against every adapter:
 *
 *   describeStoreContract('dexie', (name) => openDexieStore({ name: name ?? freshName(), indexedDB }));
 *
 * `openStore()` gives a new, empty store; `openStore(name)` the store of that name, which must hold
 * what was committed to it when opened again after close() (a restart; e.g. a data folder per name
 * for PGlite). Opening is slow on some adapters, so most tests share one store and tell their data
 * apart by table names and meta keys of their own; only a few open stores of their own.
 *
 * What it holds a store to, beyond the interface's comments:
 * - list() is MemoryTx.list over the same rows, with ties and unordered lists in id order (as the
 *   server's `order by …, id`); see list-contract.ts for the corners MemoryTx and SQL disagree on.
 * - put() replaces the whole row: a column the row leaves out reads back as null (or absent).
 * - Timestamps come back as the text given when it is Postgres's (what the shape stream sends), and
 *   as the same instant when given in another form (ISO, from a mutator).
 * - Any failure of the store itself is a LocalStoreError; an error thrown by the transaction's
 *   work reaches the caller unchanged; a closed store answers STORE_CLOSED.
 * - Subscribers hear a committed transaction's written tables once it is visible to a new
 *   transaction; a rolled-back or read-only transaction is not heard. (Whether a transaction that
 *   wrote only meta or pending mutations is heard is left to the store.)
 *
 * What callers must keep to, for every store: inside `transaction(work)`, await only the StoreTx's
 * calls (and functions that await only those). IndexedDB commits a transaction as soon as the
 * work waits on anything else (a timer, fetch, crypto.subtle), so on Dexie such a wait breaks
 * atomicity; and no store may be called from inside its own transaction (it would wait for it).
 */
import { describe } from 'vitest';
import { bulkContract } from './bulk-contract.ts';
import { harness, type OpenStore } from './contract-fixtures.ts';
import { listContract } from './list-contract.ts';
import { queueContract } from './queue-contract.ts';
import { rowModelContract } from './row-model-contract.ts';
import { rowsContract } from './rows-contract.ts';
import { tablesContract } from './tables-contract.ts';
import { transactionContract } from './transaction-contract.ts';

export type { OpenStore } from './contract-fixtures.ts';

export function describeStoreContract(adapterName: string, openStore: OpenStore): void {
  describe(`${adapterName} store contract`, () => {
    const h = harness(openStore);
    tablesContract(h);
    rowsContract(h);
    bulkContract(h);
    rowModelContract(h);
    listContract(h);
    queueContract(h);
    transactionContract(h);
  });
}
