import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  type KyselyPlugin,
  Migrator,
  OperationNodeTransformer,
  PostgresAdapter,
  PostgresDialect,
  type PrimitiveValueListNode,
  type SqliteDatabase,
  SqliteDialect,
  type ValueNode,
} from 'kysely';
import pg from 'pg';
import { errorMessage } from '#common';
import type { Database } from './database.types.js';
import { migrationProvider } from './migrations/index.js';
import { StatementNames, preparingPool } from './prepared-statements.js';
import { SqliteWriter } from './sqlite-writer.js';
import { StatementCache } from './sqlite-statements.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type Db = Kysely<Database>;
export type DialectName = 'sqlite' | 'postgres';

/** Where the store lives: a PostgreSQL URL (shared by replicas), or an SQLite file (one coordinator). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * For the few places SQL differs. Read from the adapter, which transactions and migrations share with
 * the handle they came from.
 */
export function dialectOf(db: { getExecutor(): { readonly adapter: unknown } }): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

export interface OpenOptions {
  /** PostgreSQL connections this process keeps (MLFARM_DATABASE_POOL). */
  poolSize?: number;
}

export async function openDatabase(location: string, options: OpenOptions = {}): Promise<Db> {
  const db = isPostgresUrl(location) ? openPostgres(location, options) : openSqlite(location);
  try {
    await migrate(db);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return db;
}

function openSqlite(file: string): Db {
  mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL keeps readers (GetRun, WatchRun) off the writer's back; a crashed process loses nothing committed.
  sqlite.pragma('journal_mode = WAL');
  CONNECTION_PRAGMAS.forEach((pragma) => sqlite.pragma(pragma));
  const checkpointer = new WalCheckpointer({ file, intervalMs: CHECKPOINT_EVERY_MS, minFrames: 1_000 });
  const writer = new SqliteWriter({ file, pragmas: CONNECTION_PRAGMAS });
  const database = withStatementCache(sqlite, () => {
    writer.stop();
    checkpointer.stop();
  });
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  writers.set(db, writer);
  return db;
}

const writers = new WeakMap<Db, SqliteWriter>();

/** The thread that commits an SQLite store's hot writes (sqlite-writer.ts); none for PostgreSQL. */
export function sqliteWriterOf(db: Db): SqliteWriter | undefined {
  return writers.get(db);
}

const FALLBACK_CHECKPOINT_PAGES = 64_000;

/** Settings each connection holds for itself: the coordinator's and the writer thread's (sqlite-writer.ts). */
const CONNECTION_PRAGMAS = [
  'synchronous = NORMAL',
  'foreign_keys = ON',
  // Two connections write (the coordinator's, the writer thread's): each waits while the other commits.
  'busy_timeout = 5000',
  // The log is copied into the database file by a worker thread (wal-checkpointer.ts); the commit that
  // finds 64,000 pages (256 MiB) of log checkpoints itself only if that thread fell behind.
  `wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`,
  // A 64 MiB page cache keeps the hot tables in memory.
  'cache_size = -65536',
];
/** A few thousand pages of log between checkpoints at a thousand agents' load. */
const CHECKPOINT_EVERY_MS = 200;

/**
 * Kysely prepares a statement for every query: compiled ones are kept (StatementCache). Statements are
 * reusable (queries run one at a time on this connection, and nothing streams).
 */
function withStatementCache(sqlite: SQLite.Database, beforeClose: () => void): SqliteDatabase {
  const statements = new StatementCache(sqlite);
  return {
    close: () => {
      beforeClose();
      sqlite.close();
    },
    prepare: (sql: string) => {
      // The writer thread (sqlite-writer.ts) commits on a connection of its own. A deferred transaction
      // that read before that commit could not write after it (SQLITE_BUSY, never retried), so this
      // connection's transactions take the write lock first, waiting for it like any statement.
      return statements.get(sql === 'begin' ? 'begin immediate' : sql);
    },
  };
}

// node-postgres returns int8 and numeric as strings (they may not fit a double). Every bigint here is a
// millisecond timestamp, a byte count or a COUNT(*): all far below 2^53, so numbers are what callers expect.
const NUMBER_TYPES = new Set<number>([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    return NUMBER_TYPES.has(oid)
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as (value: string) => unknown);
  },
};

function openPostgres(url: string, options: OpenOptions): Db {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypes });
  // An idle connection dropped by the server (restart, failover) must not crash the coordinator.
  pool.on('error', () => undefined);
  const dialect = new PostgresDialect({ pool: preparingPool(pool, new StatementNames()) });
  const db = new Kysely<Database>({ dialect, plugins: [nulFreeText] });
  return db;
}

/**
 * PostgreSQL text cannot hold U+0000 (SQLite's can): our own keys use it as a separator (regression
 * dedupe keys), and an agent's error message may carry one. Every bound string gets U+FFFD in its place,
 * on writes and lookups alike, so values that were equal stay equal instead of failing the statement.
 */
class NulFreeTextTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    return typeof node.value === 'string' && node.value.includes('\u0000')
      ? { ...node, value: withoutNul(node.value) }
      : node;
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return node.values.some((v) => typeof v === 'string' && v.includes('\u0000'))
      ? { ...node, values: node.values.map((v) => (typeof v === 'string' ? withoutNul(v) : v)) }
      : node;
  }
}

export const withoutNul = (text: string): string => text.replaceAll('\u0000', '\ufffd');

const nulFreeTextTransformer = new NulFreeTextTransformer();
const nulFreeText: KyselyPlugin = {
  transformQuery: (args) => nulFreeTextTransformer.transformNode(args.node, args.queryId),
  transformResult: (args) => Promise.resolve(args.result),
};

async function migrate(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${errorMessage(error)}`);
  }
}
