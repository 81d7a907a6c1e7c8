import { type Kysely, type Migration, sql } from 'kysely';
import { dialectOf } from '../database.js';

/** The result columns large enough to be compressed (a result is ~7 KB of JSON at a hundred nodes). */
const JSON_COLUMNS = [
  'fingerprint_json',
  'facts_json',
  'latency_json',
  'samples_json',
  'inputs_json',
  'op_types_json',
  'fidelity_json',
  'ops_json',
];

/**
 * PostgreSQL: results' JSON compressed with LZ4 instead of the default pglz. Storing ~600 results a second,
 * pglz_compress alone was about a sixth of the server's CPU (perf, bench-scale --store postgres); LZ4
 * compresses several times faster at a similar size. Only rows stored from now on change. A server
 * built without LZ4 (or older than 14) keeps pglz: the migration must not stop a coordinator from
 * starting over a speed-up. SQLite compresses nothing.
 */
export const resultsLz4Migration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await setCompression(db, 'lz4');
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await setCompression(db, 'default');
  },
};

async function setCompression(db: Kysely<unknown>, method: 'lz4' | 'default'): Promise<void> {
  if (dialectOf(db) !== 'postgres') {
    return;
  }
  const alter = `ALTER TABLE results ${JSON_COLUMNS.map((c) => `ALTER COLUMN ${c} SET COMPRESSION ${method}`).join(', ')}`;
  await sql`
    DO $$
    BEGIN
      EXECUTE ${sql.lit(alter)};
    EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
      RAISE NOTICE 'results keep their compression: %', SQLERRM;
    END $$`.execute(db);
}
