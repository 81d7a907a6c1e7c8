import { type Kysely, type Migration } from 'kysely';
import { columnTypes } from './column-types.js';

// Kysely migrations get an untyped handle: the schema is being created, so the row types do not hold yet.
export const initialMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const t = columnTypes(db);
    await db.schema
      .createTable('artifacts')
      .addColumn('sha256', t.text, (c) => c.primaryKey())
      .addColumn('name', t.text, (c) => c.notNull())
      .addColumn('kind', t.text, (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('facts_json', t.text)
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('agents')
      .addColumn('id', t.text, (c) => c.primaryKey())
      .addColumn('name', t.text, (c) => c.notNull())
      .addColumn('labels_json', t.text, (c) => c.notNull())
      .addColumn('fingerprint_json', t.text, (c) => c.notNull())
      .addColumn('eps_json', t.text, (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('runs')
      .addColumn('id', t.text, (c) => c.primaryKey())
      .addColumn('name', t.text, (c) => c.notNull())
      .addColumn('state', t.text, (c) => c.notNull())
      .addColumn('request_json', t.text, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('runs_created_at').on('runs').column('created_at').execute();

    await db.schema
      .createTable('tasks')
      .addColumn('id', t.text, (c) => c.primaryKey())
      .addColumn('run_id', t.text, (c) => c.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('model_sha256', t.text, (c) => c.notNull().references('artifacts.sha256'))
      .addColumn('model_name', t.text, (c) => c.notNull())
      .addColumn('variant', t.text, (c) => c.notNull())
      .addColumn('agent_id', t.text)
      .addColumn('ep', t.text, (c) => c.notNull())
      .addColumn('state', t.text, (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('error', t.text)
      .addColumn('lease_expires_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('tasks_run_id').on('tasks').column('run_id').execute();
    await db.schema.createIndex('tasks_state_agent').on('tasks').columns(['state', 'agent_id']).execute();

    // One result per (task, attempt): a result re-sent after a reconnect is stored once.
    await db.schema
      .createTable('results')
      .addColumn('task_id', t.text, (c) => c.notNull().references('tasks.id').onDelete('cascade'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('agent_id', t.text, (c) => c.notNull())
      .addColumn('fingerprint_json', t.text, (c) => c.notNull())
      .addColumn('facts_json', t.text, (c) => c.notNull())
      .addColumn('ort_version', t.text, (c) => c.notNull())
      .addColumn('ep', t.text, (c) => c.notNull())
      .addColumn('load_ms', 'double precision', (c) => c.notNull())
      .addColumn('first_run_ms', 'double precision', (c) => c.notNull())
      .addColumn('median_ms', 'double precision', (c) => c.notNull())
      .addColumn('latency_json', t.text, (c) => c.notNull())
      .addColumn('samples_json', t.text, (c) => c.notNull())
      .addColumn('peak_rss_bytes', 'bigint', (c) => c.notNull())
      .addColumn('arena_peak_bytes', 'bigint', (c) => c.notNull())
      .addColumn('profiled_run_median_ms', 'double precision', (c) => c.notNull())
      .addColumn('inputs_json', t.text, (c) => c.notNull())
      .addColumn('op_types_json', t.text, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('results_pk', ['task_id', 'attempt'])
      .execute();

    await db.schema
      .createTable('result_ops')
      .addColumn('id', t.autoId.type, t.autoId.build)
      .addColumn('task_id', t.text, (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('node', t.text, (c) => c.notNull())
      .addColumn('op_type', t.text, (c) => c.notNull())
      .addColumn('provider', t.text, (c) => c.notNull())
      .addColumn('median_ms', 'double precision', (c) => c.notNull())
      .addColumn('share', 'double precision', (c) => c.notNull())
      .addForeignKeyConstraint(
        'result_ops_result',
        ['task_id', 'attempt'],
        'results',
        ['task_id', 'attempt'],
        (c) => c.onDelete('cascade'),
      )
      .execute();
    await db.schema
      .createIndex('result_ops_result')
      .on('result_ops')
      .columns(['task_id', 'attempt'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['result_ops', 'results', 'tasks', 'runs', 'agents', 'artifacts']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
