import type SQLite from 'better-sqlite3';

/** Distinct SQL texts kept compiled per connection; the dispatch and result paths use a few dozen. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Compiled statements of one SQLite connection by SQL text, the least recently used dropped past
 * STATEMENT_CACHE_SIZE. better-sqlite3 compiles SQL at every prepare: at hundreds of results a second
 * that compiling was a seventh of the coordinator's time. The bound matters for texts that vary, such as
 * a run's INSERT of as many task rows as it has.
 */
export class StatementCache {
  private readonly statements = new Map<string, SQLite.Statement>();

  constructor(private readonly sqlite: SQLite.Database) {}

  get(sql: string): SQLite.Statement {
    let statement = this.statements.get(sql);
    if (statement) {
      this.statements.delete(sql); // re-inserted below: the map's order is least recently used first
    } else {
      statement = this.sqlite.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        this.statements.delete(this.statements.keys().next().value!);
      }
    }
    this.statements.set(sql, statement);
    return statement;
  }
}
