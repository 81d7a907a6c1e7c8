import { type ColumnDataType, type ColumnDefinitionBuilder, type Expression, type Kysely, sql } from 'kysely';
// database.ts imports the migrations too; the cycle is harmless because dialectOf is only called inside up/down.
import { dialectOf } from '../database.js';

type DataType = ColumnDataType | Expression<unknown>;

/**
 * The few column types that the two dialects spell differently. The SQLite spellings are the ones the
 * existing SQLite stores were created with, so those databases and fresh ones stay alike.
 */
export interface ColumnTypes {
  /**
   * PostgreSQL sorts text with the database's collation (often linguistic: 'cls' before 'Det'); SQLite
   * compares bytes. Collation "C" on every text column makes ORDER BY and comparisons agree.
   */
  text: DataType;
  /** SQLite's REAL is 8 bytes; PostgreSQL's `real` is 4 (7 digits), so it gets double precision. */
  real: DataType;
  /** A row id the database assigns: SQLite's rowid alias, a 64-bit identity column on PostgreSQL. */
  autoId: { type: DataType; build: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder };
}

export function columnTypes(db: Kysely<unknown>): ColumnTypes {
  if (dialectOf(db) === 'postgres') {
    return {
      text: sql`text collate "C"`,
      real: 'double precision',
      autoId: { type: 'bigint', build: (c) => c.generatedByDefaultAsIdentity().primaryKey() },
    };
  }
  return {
    text: 'text',
    real: 'real',
    autoId: { type: 'integer', build: (c) => c.primaryKey().autoIncrement() },
  };
}
