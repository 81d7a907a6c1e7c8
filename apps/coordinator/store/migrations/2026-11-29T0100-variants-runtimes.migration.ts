import { type Kysely, type Migration } from 'kysely';
import { columnTypes } from './column-types.js';

// Compressed variants (built once per source model and recipe) and ONNX Runtime versions as a dimension
// of tasks; a task may name a reference (model + runtime) whose outputs it is compared with.
export const variantsRuntimesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const t = columnTypes(db);
    await db.schema
      .createTable('variants')
      .addColumn('source_sha256', t.text, (c) => c.notNull().references('artifacts.sha256'))
      .addColumn('recipe_hash', t.text, (c) => c.notNull())
      .addColumn('name', t.text, (c) => c.notNull())
      .addColumn('variant_sha256', t.text, (c) => c.notNull().references('artifacts.sha256'))
      .addColumn('recipe_json', t.text, (c) => c.notNull())
      .addColumn('report_json', t.text, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('variants_pk', ['source_sha256', 'recipe_hash'])
      .execute();
    await db.schema.alterTable('tasks').addColumn('variant_sha256', t.text).execute();
    await db.schema
      .alterTable('tasks')
      .addColumn('runtime', t.text, (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema.alterTable('tasks').addColumn('reference_sha256', t.text).execute();
    await db.schema.alterTable('tasks').addColumn('reference_runtime', t.text).execute();
    await db.schema.alterTable('tasks').addColumn('reference_label', t.text).execute();
    await db.schema
      .alterTable('agents')
      .addColumn('runtimes_json', t.text, (c) => c.notNull().defaultTo('[]'))
      .execute();
    await db.schema.alterTable('results').addColumn('fidelity_json', t.text).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('results').dropColumn('fidelity_json').execute();
    await db.schema.alterTable('agents').dropColumn('runtimes_json').execute();
    for (const column of [
      'reference_label',
      'reference_runtime',
      'reference_sha256',
      'runtime',
      'variant_sha256',
    ]) {
      await db.schema.alterTable('tasks').dropColumn(column).execute();
    }
    await db.schema.dropTable('variants').execute();
  },
};
