import { type Kysely, type Migration } from 'kysely';
import { columnTypes } from './column-types.js';
import { dialectOf } from '../database.js';

/**
 * What several coordinator replicas on one PostgreSQL share beyond runs and tasks: which replica holds an
 * agent's stream, the artifact bytes themselves (no shared volume needed), events too large for a NOTIFY
 * payload, and which schedule firings were already claimed. Plus the indexes that dispatch and run-end
 * checks need at a thousand agents.
 */
export const replicasMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const t = columnTypes(db);
    const postgres = dialectOf(db) === 'postgres';
    await db.schema.alterTable('agents').addColumn('replica_id', t.text).execute();
    await db.schema
      .createTable('artifact_chunks')
      .addColumn('sha256', t.text, (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('data', postgres ? 'bytea' : 'blob', (c) => c.notNull())
      .addPrimaryKeyConstraint('artifact_chunks_pk', ['sha256', 'idx'])
      .execute();
    await db.schema
      .createTable('cluster_events')
      .addColumn('id', postgres ? 'bigserial' : 'integer', (c) =>
        postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('payload', t.text, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('schedule_firings')
      .addColumn('key', t.text, (c) => c.primaryKey())
      .addColumn('replica_id', t.text, (c) => c.notNull())
      .addColumn('fired_at', 'bigint', (c) => c.notNull())
      .execute();
    // "Is anything of this run still active?" after every result: one index probe, not a scan of the run.
    await db.schema.createIndex('tasks_run_state').on('tasks').columns(['run_id', 'state']).execute();
    // Each task changes state three times; every index on tasks is rewritten each time. The two older
    // indexes are prefixes of the two new ones, so they only cost writes.
    await db.schema.dropIndex('tasks_run_id').execute();
    await db.schema.dropIndex('tasks_state_agent').execute();
    // The dispatch sweep reads the oldest queued tasks bound to its agents, and the oldest unbound ones,
    // each as one range of this index in order.
    await db.schema
      .createIndex('tasks_queue')
      .on('tasks')
      .columns(['state', 'agent_id', 'created_at', 'seq'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('tasks_queue').execute();
    await db.schema.dropIndex('tasks_run_state').execute();
    await db.schema.createIndex('tasks_state_agent').on('tasks').columns(['state', 'agent_id']).execute();
    await db.schema.createIndex('tasks_run_id').on('tasks').column('run_id').execute();
    for (const table of ['schedule_firings', 'cluster_events', 'artifact_chunks']) {
      await db.schema.dropTable(table).execute();
    }
    await db.schema.alterTable('agents').dropColumn('replica_id').execute();
  },
};
