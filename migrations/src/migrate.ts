import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Executor } from '@niaga/db';

export interface Migration {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationChangedError extends Error {
  override readonly name = 'MigrationChangedError';
  readonly code = 'MIGRATION_CHANGED';
  constructor(readonly migration: string) {
    super(`Migration ${migration} was changed after it was applied. Never edit an applied migration: add a new one.`);
  }
}

export class MigrationNameError extends Error {
  override readonly name = 'MigrationNameError';
  readonly code = 'MIGRATION_BAD_NAME';
  constructor(readonly file: string) {
    super(`Migration file "${file}" must be named NNNN_description.sql (four digits, then a name).`);
  }
}

export const defaultMigrationsDir = fileURLToPath(new URL('../sql/', import.meta.url));

/** Reads NNNN_name.sql files in numeric order. */
export async function loadMigrations(dir = defaultMigrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new MigrationNameError(file);
      const sql = await readFile(new URL(file, `file://${dir.endsWith('/') ? dir : `${dir}/`}`), 'utf8');
      return { id: Number(match[1]), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so two processes starting
 * at once apply each migration exactly once, and a failing migration leaves nothing half-applied.
 * Works on Postgres and on PGlite.
 */
export async function migrate(db: Executor, migrations?: Migration[]): Promise<MigrateResult> {
  const all = migrations ?? (await loadMigrations());
  return db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext('niaga.migrations'))`);
    await tx.exec(`
      create table if not exists public.niaga_migrations (
        id          integer primary key,
        name        text not null,
        checksum    text not null,
        applied_at  timestamptz not null default now()
      )`);
    const { rows } = await tx.query<{ id: number; name: string; checksum: string }>(
      'select id, name, checksum from public.niaga_migrations order by id',
    );
    const done = new Map(rows.map((row) => [row.id, row]));
    for (const migration of all) {
      const previous = done.get(migration.id);
      if (previous && previous.checksum !== migration.checksum) throw new MigrationChangedError(migration.name);
    }
    const pending = all.filter((migration) => !done.has(migration.id));
    for (const migration of pending) {
      await tx.exec(migration.sql);
      await tx.query('insert into public.niaga_migrations (id, name, checksum) values ($1, $2, $3)', [
        migration.id,
        migration.name,
        migration.checksum,
      ]);
    }
    return { applied: pending.map((migration) => migration.name), alreadyApplied: all.length - pending.length };
  });
}
