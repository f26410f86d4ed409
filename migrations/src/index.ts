export { defaultMigrationsDir, loadMigrations, migrate, MigrationChangedError, MigrationNameError } from './migrate.ts';
export type { MigrateResult, Migration } from './migrate.ts';
