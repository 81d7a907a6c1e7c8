import { type Kysely, type Migration } from 'kysely';
import { columnTypes } from './column-types.js';

// Suites, nightly series, baselines per fingerprint, gate verdicts and regressions (issue 5).
export const suitesVerdictsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const t = columnTypes(db);
    await db.schema
      .alterTable('runs')
      .addColumn('kind', t.text, (c) => c.notNull().defaultTo('adhoc'))
      .execute();
    await db.schema.alterTable('runs').addColumn('suite', t.text).execute();
    await db.schema.alterTable('runs').addColumn('baseline', t.text).execute();
    // The suite as the coordinator validated it (policies, gate settings), for verdicts after restarts.
    await db.schema.alterTable('runs').addColumn('suite_json', t.text).execute();
    await db.schema.alterTable('tasks').addColumn('side', t.text).execute();
    await db.schema.alterTable('tasks').addColumn('round', 'integer').execute();
    await db.schema
      .createTable('series_points')
      .addColumn('id', t.autoId.type, t.autoId.build)
      .addColumn('suite', t.text, (c) => c.notNull())
      .addColumn('model', t.text, (c) => c.notNull())
      .addColumn('variant', t.text, (c) => c.notNull())
      .addColumn('metric', t.text, (c) => c.notNull())
      .addColumn('fingerprint', t.text, (c) => c.notNull())
      .addColumn('run_id', t.text, (c) => c.notNull().references('runs.id'))
      .addColumn('task_id', t.text, (c) => c.notNull())
      .addColumn('value', t.real, (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('series_points_key')
      .on('series_points')
      .columns(['suite', 'model', 'variant', 'metric', 'fingerprint', 'at'])
      .execute();
    // One point per task and metric, so re-processing a run after a restart adds nothing twice.
    await db.schema
      .createIndex('series_points_task_metric')
      .on('series_points')
      .columns(['task_id', 'metric'])
      .unique()
      .execute();
    await db.schema
      .createTable('baselines')
      .addColumn('suite', t.text, (c) => c.notNull())
      .addColumn('name', t.text, (c) => c.notNull())
      .addColumn('fingerprint', t.text, (c) => c.notNull())
      .addColumn('model', t.text, (c) => c.notNull())
      .addColumn('model_sha256', t.text, (c) => c.notNull().references('artifacts.sha256'))
      .addColumn('run_id', t.text, (c) => c.notNull().references('runs.id'))
      .addColumn('accepted_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('baselines_pk', ['suite', 'name', 'fingerprint', 'model'])
      .execute();
    await db.schema
      .createTable('verdicts')
      .addColumn('run_id', t.text, (c) => c.primaryKey().references('runs.id'))
      .addColumn('outcome', t.text, (c) => c.notNull())
      .addColumn('verdict_json', t.text, (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('regressions')
      .addColumn('id', t.text, (c) => c.primaryKey())
      .addColumn('suite', t.text, (c) => c.notNull())
      .addColumn('model', t.text, (c) => c.notNull())
      .addColumn('variant', t.text, (c) => c.notNull())
      .addColumn('metric', t.text, (c) => c.notNull())
      .addColumn('fingerprint', t.text, (c) => c.notNull())
      .addColumn('source', t.text, (c) => c.notNull())
      .addColumn('run_id', t.text, (c) => c.notNull())
      .addColumn('before', t.real, (c) => c.notNull())
      .addColumn('after', t.real, (c) => c.notNull())
      .addColumn('relative_change', t.real, (c) => c.notNull())
      .addColumn('p_value', t.real, (c) => c.notNull())
      .addColumn('detected_at', 'bigint', (c) => c.notNull())
      .addColumn('status', t.text, (c) => c.notNull())
      .addColumn('note', t.text, (c) => c.notNull().defaultTo(''))
      .addColumn('runs_before_json', t.text, (c) => c.notNull().defaultTo('[]'))
      .addColumn('runs_after_json', t.text, (c) => c.notNull().defaultTo('[]'))
      // Same change found again (next nightly, restart) must not open a second regression.
      .addColumn('dedupe_key', t.text, (c) => c.notNull().unique())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['regressions', 'verdicts', 'baselines', 'series_points']) {
      await db.schema.dropTable(table).execute();
    }
    await db.schema.alterTable('tasks').dropColumn('round').execute();
    await db.schema.alterTable('tasks').dropColumn('side').execute();
    for (const column of ['suite_json', 'baseline', 'suite', 'kind']) {
      await db.schema.alterTable('runs').dropColumn(column).execute();
    }
  },
};
