import type { Migration, MigrationProvider } from 'kysely';
import { initialMigration } from './2026-11-29T0000-initial.migration.js';
import { variantsRuntimesMigration } from './2026-11-29T0100-variants-runtimes.migration.js';
import { suitesVerdictsMigration } from './2026-11-29T0200-suites-verdicts.migration.js';
import { authMigration } from './2026-11-29T0400-auth.migration.js';
import { replicasMigration } from './2026-11-29T0500-replicas.migration.js';
import { resultOpsJsonMigration } from './2026-11-29T0600-result-ops-json.migration.js';
import { partialTaskIndexesMigration } from './2026-11-29T0700-partial-task-indexes.migration.js';
import { resultsLz4Migration } from './2026-11-30T0000-results-lz4.migration.js';

// Timestamped names keep the order stable; new migrations are appended, never edited.
const migrations: Record<string, Migration> = {
  '2026-11-29T0000-initial': initialMigration,
  '2026-11-29T0100-variants-runtimes': variantsRuntimesMigration,
  '2026-11-29T0200-suites-verdicts': suitesVerdictsMigration,
  '2026-11-29T0400-auth': authMigration,
  '2026-11-29T0500-replicas': replicasMigration,
  '2026-11-29T0600-result-ops-json': resultOpsJsonMigration,
  '2026-11-29T0700-partial-task-indexes': partialTaskIndexesMigration,
  '2026-11-30T0000-results-lz4': resultsLz4Migration,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
