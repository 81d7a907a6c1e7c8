import { type Kysely, type Migration } from 'kysely';
import { columnTypes } from './column-types.js';

// API tokens and agent credentials, both stored as sha256 of their secret (never the secret), and the
// client that submitted each run (for the active-runs-per-client limit).
export const authMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const t = columnTypes(db);
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', t.text, (c) => c.primaryKey())
      .addColumn('name', t.text, (c) => c.notNull())
      .addColumn('scopes', t.text, (c) => c.notNull())
      .addColumn('secret_sha256', t.text, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createTable('agent_credentials')
      .addColumn('agent_id', t.text, (c) => c.primaryKey())
      .addColumn('secret_sha256', t.text, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.alterTable('runs').addColumn('submitted_by', t.text).execute();
    await db.schema
      .createIndex('runs_submitted_by_state')
      .on('runs')
      .columns(['submitted_by', 'state'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('runs_submitted_by_state').execute();
    await db.schema.alterTable('runs').dropColumn('submitted_by').execute();
    await db.schema.dropTable('agent_credentials').execute();
    await db.schema.dropTable('api_tokens').execute();
  },
};
