import { type Kysely, type Migration } from 'kysely';

// Suites, nightly series, baselines per fingerprint, gate verdicts and regressions (issue 5).
export const suitesVerdictsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('runs')
      .addColumn('kind', 'text', (c) => c.notNull().defaultTo('adhoc'))
      .execute();
    await db.schema.alterTable('runs').addColumn('suite', 'text').execute();
    await db.schema.alterTable('runs').addColumn('baseline', 'text').execute();
    // The suite as the coordinator validated it (policies, gate settings), for verdicts after restarts.
    await db.schema.alterTable('runs').addColumn('suite_json', 'text').execute();
    await db.schema.alterTable('tasks').addColumn('side', 'text').execute();
    await db.schema.alterTable('tasks').addColumn('round', 'integer').execute();
    await db.schema
      .createTable('series_points')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('suite', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('variant', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('value', 'real', (c) => c.notNull())
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
      .addColumn('suite', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('model_sha256', 'text', (c) => c.notNull().references('artifacts.sha256'))
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
      .addColumn('accepted_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('baselines_pk', ['suite', 'name', 'fingerprint', 'model'])
      .execute();
    await db.schema
      .createTable('verdicts')
      .addColumn('run_id', 'text', (c) => c.primaryKey().references('runs.id'))
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('verdict_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('regressions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('suite', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('variant', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('before', 'real', (c) => c.notNull())
      .addColumn('after', 'real', (c) => c.notNull())
      .addColumn('relative_change', 'real', (c) => c.notNull())
      .addColumn('p_value', 'real', (c) => c.notNull())
      .addColumn('detected_at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('runs_before_json', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('runs_after_json', 'text', (c) => c.notNull().defaultTo('[]'))
      // Same change found again (next nightly, restart) must not open a second regression.
      .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
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
