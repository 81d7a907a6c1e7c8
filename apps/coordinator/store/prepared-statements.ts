import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/** A statement text is prepared (named) once it has run this many times: the hot ones get there at once. */
const USES_BEFORE_NAMING = 3;
/**
 * At most this many names per pool; every connection may come to hold all of them on the server. Texts
 * that vary (an IN list of n values is a text per n) stop being counted past TEXTS_COUNTED and never
 * crowd the hot ones out: those were named long before.
 */
const MAX_NAMED = 200;
const TEXTS_COUNTED = 5_000;

/** PostgreSQL's error for a prepared SELECT * whose table gained a column (another replica migrated). */
const RESULT_TYPE_CHANGED = 'cached plan must not change result type';

/**
 * Which statement texts run as named (prepared) statements. An unnamed statement is parsed, analysed and
 * planned by the server at every execution; a named one is parsed once per connection, and after five
 * runs usually keeps a generic plan. At a thousand agents parsing and planning were a third of the
 * server's CPU (perf, bench-scale --store postgres --replicas 2): the same dozen texts, thousands of
 * times a second.
 */
export class StatementNames {
  private readonly uses = new Map<string, number>();
  private readonly names = new Map<string, string>();
  /** Texts whose prepared form failed (see RESULT_TYPE_CHANGED): unnamed from then on. */
  private readonly unnamed = new Set<string>();

  /** The name to run `text` under, or undefined to run it unnamed. */
  nameOf(text: string): string | undefined {
    const named = this.names.get(text);
    if (named !== undefined || this.names.size >= MAX_NAMED || this.unnamed.has(text)) {
      return named;
    }
    const uses = (this.uses.get(text) ?? 0) + 1;
    if (uses < USES_BEFORE_NAMING) {
      if (this.uses.size < TEXTS_COUNTED || this.uses.has(text)) {
        this.uses.set(text, uses);
      }
      return undefined;
    }
    this.uses.delete(text);
    const name = `mlfarm_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    this.names.set(text, name);
    return name;
  }

  /** The server refused the prepared form of `text` for good: run it unnamed from now on. */
  refuse(text: string): void {
    this.names.delete(text);
    this.unnamed.add(text);
  }

  get size(): number {
    return this.names.size;
  }
}

/** `pool` for Kysely's PostgresDialect, running the texts `names` picks as prepared statements. */
export function preparingPool(pool: pg.Pool, names: StatementNames): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((textOrCursor: unknown, parameters?: readonly unknown[]) => {
      if (typeof textOrCursor !== 'string') {
        return client.query(textOrCursor as never);
      }
      const name = names.nameOf(textOrCursor);
      if (name === undefined) {
        return client.query(textOrCursor, parameters as unknown[]);
      }
      return client
        .query({ name, text: textOrCursor, values: parameters as unknown[] })
        .catch((error: unknown) => {
          if (error instanceof Error && error.message.includes(RESULT_TYPE_CHANGED)) {
            // This call fails (it may be inside a transaction, which is aborted now); the next runs unnamed.
            names.refuse(textOrCursor);
          }
          throw error;
        });
    }) as unknown as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client.release(destroy),
  });
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let own = wrapped.get(client);
      if (!own) {
        own = wrap(client);
        wrapped.set(client, own);
      }
      return own;
    },
    end: () => pool.end(),
  };
}
