/**
 * Answers one Replicache pull from the database, in ONE repeatable-read snapshot:
 *
 * - a cookie of ours, of this log, not compacted away, not ahead of the log, with no truncate of a
 *   view table since: the patch from the log after its position (in whole transactions, up to a
 *   budget; the cookie then names the last transaction sent);
 * - anything else (first pull, a lost, compacted, foreign or garbled cookie): `clear` and the full
 *   view, with the client group's last mutation ids read in the same snapshot. The log lags the
 *   tables (capture is asynchronous), so the cookie also records which transactions the snapshot
 *   saw: their log entries, appended later, are skipped.
 */
import type { Executor, Queryable } from '@niaga/db';
import { DomainError } from '@niaga/domain/shared';
import type { AccessClaims, PatchOperation, PullCookie, PullRequestCookie, PullResponseOK } from '@niaga/protocol';
import { compileRuleFilter } from '../shapes/rule-filter.ts';
import type { ShapeDefinition } from '../shapes/shape-definition.ts';
import { logPosition, repeatableRead } from '../shapes/shape-log.ts';
import type { TailEntry } from '../shapes/tail-index.ts';
import { viewKey, type ClientView } from './client-view.ts';
import { jsonRow } from './json-row.ts';
import { fullViewPrefix, makeCookie, readCookie, type ParsedCookie } from './pull-cookie.ts';
import { clientsTable, ViewPatch } from './view-patch.ts';
import type { EntryRow } from '../shapes/change-feed.ts';

export interface PullLimits {
  /** A patch stops after the transaction that brings it to this many keys… */
  readonly maxPatchKeys: number;
  /** …or after the transaction that brings the log entries read to this many. */
  readonly maxEntries: number;
  /** Log entries per query. */
  readonly pageEntries: number;
}

export const defaultPullLimits: PullLimits = { maxPatchKeys: 5_000, maxEntries: 100_000, pageEntries: 5_000 };

export interface PullInput {
  readonly user: AccessClaims;
  readonly clientGroupID: string;
  readonly cookie: PullRequestCookie;
  readonly view: ClientView;
  /** True when `table` was truncated after log position `lsn` (a truncate is no row change the log holds). */
  readonly truncatedSince: (table: string, lsn: bigint) => boolean;
}

export interface PullResult {
  readonly response: PullResponseOK;
  /** The patch stopped early: more of the log is waiting. */
  readonly more: boolean;
  readonly kind: 'full' | 'incremental' | 'unchanged';
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

async function checkClientGroup(tx: Queryable, clientGroupID: string, user: AccessClaims): Promise<void> {
  const { rows } = await tx.query<{ user_id: string }>('select user_id::text from sync.client_groups where id = $1', [clientGroupID]);
  const owner = rows[0]?.user_id;
  if (owner !== undefined && owner !== user.sub.toLowerCase()) {
    throw new DomainError('FORBIDDEN', `Client group ${clientGroupID} belongs to another user; start a new client group (a new Replicache name) for this user`);
  }
}

async function viewRows(tx: Queryable, shape: ShapeDefinition): Promise<PatchOperation[]> {
  const { table } = shape;
  const rule = compileRuleFilter(shape.rule, table, 1);
  const columns = shape.columns.map((column) => `${quote(column.name)}::text as ${quote(column.name)}`).join(', ');
  const { rows } = await tx.query<Record<string, string | null>>(`select ${columns} from ${quote(table.schema)}.${quote(table.table)} where ${rule.sql}`, rule.values);
  return rows.map((row) => ({ op: 'put', key: viewKey(table.name, row.id!), value: jsonRow(shape.columns, row) }));
}

async function fullView(tx: Queryable, input: PullInput, lsn: bigint, log: string): Promise<PullResult> {
  const { rows } = await tx.query<{ snapshot: string }>('select pg_current_snapshot()::text as snapshot');
  const patch: PatchOperation[] = [{ op: 'clear' }];
  for (const shape of input.view.values()) patch.push(...(await viewRows(tx, shape)));
  const { rows: clients } = await tx.query<{ id: string; last_mutation_id: string }>(
    'select id, last_mutation_id::text from sync.clients where client_group_id = $1',
    [input.clientGroupID],
  );
  const lastMutationIDChanges = Object.fromEntries(clients.map((client) => [client.id, Number(client.last_mutation_id)]));
  const cookie = makeCookie(fullViewPrefix(input.cookie, lsn), lsn, log, rows[0]!.snapshot);
  return { response: { cookie, lastMutationIDChanges, patch }, more: false, kind: 'full' };
}


async function fromLog(tx: Queryable, input: PullInput, from: ParsedCookie, head: bigint, log: string, limits: PullLimits): Promise<PullResult> {
  const tables = [...new Set([...input.view.keys(), clientsTable])];
  const patch = new ViewPatch(input.view, input.clientGroupID, from.snapshot);
  let after: [lsn: string, op: number] = [from.lsn.toString(), 2_147_483_647];
  let through = from.lsn;
  let transaction: TailEntry[] = [];
  let read = 0;
  let more = false;
  reading: for (;;) {
    const { rows } = await tx.query<EntryRow>(
      `select lsn::text as lsn, op_index, xid::text as xid, table_name, operation, old_row, new_row
         from sync.change_log
        where (lsn, op_index) > ($1::bigint, $2::int) and lsn <= $3 and table_name = any($4::text[])
        order by lsn, op_index limit $5`,
      [after[0], after[1], head.toString(), tables, limits.pageEntries],
    );
    for (const row of rows) {
      const entry: TailEntry = { lsn: BigInt(row.lsn), op: row.op_index, xid: BigInt(row.xid), table: row.table_name, operation: row.operation, oldRow: row.old_row, newRow: row.new_row };
      if (transaction.length > 0 && transaction[0]!.lsn !== entry.lsn) {
        patch.addTransaction(transaction);
        through = transaction[0]!.lsn;
        transaction = [];
        // Only between transactions: a client never sees half of one.
        if (patch.size >= limits.maxPatchKeys || read >= limits.maxEntries) {
          more = true;
          break reading;
        }
      }
      transaction.push(entry);
      read++;
    }
    if (rows.length < limits.pageEntries) break;
    const last = rows.at(-1)!;
    after = [last.lsn, last.op_index];
  }
  if (!more) {
    patch.addTransaction(transaction);
    through = head; // everything up to the head was read: entries of other tables do not concern this view
  }
  // through > from.lsn: the head is past the cookie, and an early stop follows a whole transaction.
  const cookie = makeCookie(from.prefix, through, log, from.snapshotText);
  return { response: { cookie, lastMutationIDChanges: patch.lastMutationIDChanges, patch: patch.patch }, more, kind: 'incremental' };
}

export async function readPull(db: Executor, input: PullInput, limits: PullLimits = defaultPullLimits): Promise<PullResult> {
  return repeatableRead(db, async (tx) => {
    await checkClientGroup(tx, input.clientGroupID, input.user);
    const position = await logPosition(tx);
    const { rows } = await tx.query<{ epoch: string }>('select epoch from sync.log_state');
    const log = rows[0]!.epoch;
    const from = readCookie(input.cookie);
    const current =
      from !== undefined &&
      from.log === log &&
      from.lsn >= position.compactedBefore &&
      from.lsn <= position.lsn &&
      ![...input.view.keys()].some((table) => input.truncatedSince(table, from.lsn));
    if (!current) return fullView(tx, input, position.lsn, log);
    // Nothing logged since: the same cookie, exactly as sent (Replicache compares it deeply).
    if (from.lsn === position.lsn) return { response: { cookie: input.cookie as PullCookie, lastMutationIDChanges: {}, patch: [] }, more: false, kind: 'unchanged' };
    return fromLog(tx, input, from, position.lsn, log, limits);
  });
}
