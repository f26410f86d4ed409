/**
 * Idempotent Postgres setup for change capture: every synced table logs its full old row
 * (REPLICA IDENTITY FULL, so updates and deletes carry it), one publication lists exactly the
 * synced tables, and one pgoutput slot keeps the WAL until the log has what it holds. Safe to run
 * on every leader start; it changes only what differs.
 */
import type { Executor } from '@niaga/db';
import { CaptureError, CaptureErrorCode } from './capture-error.ts';

export const defaultSlotName = 'niaga_sync';
export const defaultPublicationName = 'niaga_sync';

export interface CaptureSetupOptions {
  /** 'schema.table' names. */
  readonly tables: readonly string[];
  readonly slotName: string;
  readonly publicationName: string;
}

export interface CaptureSetupResult {
  readonly replicaIdentityChanged: readonly string[];
  readonly publication: 'created' | 'altered' | 'unchanged';
  readonly slotCreated: boolean;
}

const identifier = /^[a-z_][a-z0-9_]*$/;

export function assertIdentifier(name: string, what: string): void {
  if (!identifier.test(name)) throw new CaptureError(CaptureErrorCode.unsafeName, `Refusing the ${what} name ${JSON.stringify(name)}: lowercase letters, digits and _ only`);
}

/** '"schema"."table"' for a validated 'schema.table'. */
export function quotedTable(table: string): string {
  const parts = table.split('.');
  if (parts.length !== 2) throw new CaptureError(CaptureErrorCode.unsafeName, `Refusing the table name ${JSON.stringify(table)}: expected schema.table`);
  for (const part of parts) assertIdentifier(part, 'table');
  return parts.map((part) => `"${part}"`).join('.');
}

async function ensureReplicaIdentityFull(db: Executor, tables: readonly string[]): Promise<string[]> {
  // Only alter what is not FULL yet: ALTER TABLE takes a strong lock, not worth taking on every start.
  const { rows } = await db.query<{ name: string }>(
    `select n.nspname || '.' || c.relname as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname || '.' || c.relname = any($1::text[]) and c.relreplident <> 'f'`,
    [tables],
  );
  const toAlter = rows.map((row) => row.name).sort();
  if (toAlter.length > 0) await db.exec(toAlter.map((table) => `alter table ${quotedTable(table)} replica identity full;`).join('\n'));
  return toAlter;
}

async function ensurePublication(db: Executor, name: string, tables: readonly string[]): Promise<CaptureSetupResult['publication']> {
  const list = tables.map(quotedTable).join(', ');
  const { rows: existing } = await db.query<{ pubname: string }>('select pubname from pg_publication where pubname = $1', [name]);
  if (existing.length === 0) {
    await db.exec(`create publication "${name}" for table ${list}`);
    return 'created';
  }
  const { rows } = await db.query<{ name: string }>(
    `select schemaname || '.' || tablename as name from pg_publication_tables where pubname = $1`,
    [name],
  );
  const current = new Set(rows.map((row) => row.name));
  const same = current.size === tables.length && tables.every((table) => current.has(table));
  if (same) return 'unchanged';
  await db.exec(`alter publication "${name}" set table ${list}`);
  return 'altered';
}

async function ensureSlot(db: Executor, slotName: string): Promise<boolean> {
  const { rows } = await db.query<{ plugin: string | null; slot_type: string; same_database: boolean }>(
    `select plugin, slot_type, database = current_database() as same_database from pg_replication_slots where slot_name = $1`,
    [slotName],
  );
  const slot = rows[0];
  if (slot) {
    if (slot.slot_type !== 'logical' || slot.plugin !== 'pgoutput' || !slot.same_database) {
      throw new CaptureError(
        CaptureErrorCode.slotMismatch,
        `Replication slot ${slotName} exists but is not a pgoutput slot of this database (type ${slot.slot_type}, plugin ${slot.plugin ?? 'none'})`,
      );
    }
    return false;
  }
  // Outside any transaction: a slot cannot be created in a transaction that has written.
  await db.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slotName]);
  return true;
}

/** Makes Postgres ready for capture; run by the leader before it streams. */
export async function ensureCaptureSetup(db: Executor, options: CaptureSetupOptions): Promise<CaptureSetupResult> {
  assertIdentifier(options.slotName, 'slot');
  assertIdentifier(options.publicationName, 'publication');
  if (options.tables.length === 0) throw new CaptureError(CaptureErrorCode.unsafeName, 'No tables to capture');
  const tables = [...new Set(options.tables)].sort();
  tables.forEach(quotedTable);
  const replicaIdentityChanged = await ensureReplicaIdentityFull(db, tables);
  // The publication must exist before the slot: decoding reads it with the catalog as of each change.
  const publication = await ensurePublication(db, options.publicationName, tables);
  const slotCreated = await ensureSlot(db, options.slotName);
  return { replicaIdentityChanged, publication, slotCreated };
}
