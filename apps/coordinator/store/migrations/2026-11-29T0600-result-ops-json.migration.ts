import { type Kysely, type Migration } from 'kysely';
import { columnTypes } from './column-types.js';

/**
 * A result's per-node rows (about a hundred for a real detector) in one JSON column of the result, as
 * its samples and op-type totals already are: one row per result instead of a hundred, which at five
 * hundred results a second was the largest cost of storing them. Nothing queried single nodes.
 * Results stored before keep their rows in result_ops, and are read from there.
 */
export const resultOpsJsonMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('results').addColumn('ops_json', columnTypes(db).text).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('results').dropColumn('ops_json').execute();
  },
};
