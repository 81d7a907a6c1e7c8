import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import pg from 'pg';
import { type Db, type DialectName, openDatabase } from '../../apps/coordinator/store/database.js';

// The store runs on SQLite (one coordinator) and PostgreSQL (replicas); every store test runs on both.
// PostgreSQL comes from an admin URL (a role that may CREATE DATABASE); each test gets its own database.
export const POSTGRES_URL_VARIABLE = 'MLFARM_TEST_POSTGRES_URL';

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

/** A database that exists until drop(): `location` is what openDatabase takes (a file or a URL). */
export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface DialectContext {
  dialect: DialectName;
  /** The database the handle was opened on, for tests that open a second handle (another replica). */
  location: string;
}

export type DialectBody = (db: Db, dialect: DialectName, context: DialectContext) => Promise<void>;

/**
 * Runs `body` twice, as two subtests of one test: on a fresh SQLite file and on a fresh PostgreSQL
 * database, each opened (and migrated) by openDatabase and removed afterwards.
 */
export async function forEachDialect(
  title: string,
  body: DialectBody,
  options: { poolSize?: number } = {},
): Promise<void> {
  await test(title, async (t) => {
    for (const dialect of DIALECTS) {
      await dialectSubtest(t, dialect, async () => {
        const fresh = await freshDatabase(dialect);
        try {
          const db = await openDatabase(fresh.url, { poolSize: options.poolSize ?? 10 });
          try {
            await body(db, dialect, { dialect, location: fresh.url });
          } finally {
            await db.destroy();
          }
        } finally {
          await fresh.drop();
        }
      });
    }
  });
}

/**
 * A PostgreSQL-only test (replicas sharing one database) under the same rule as forEachDialect: skipped
 * with a hint locally, failed in CI, when no PostgreSQL is configured.
 */
export async function postgresTest(title: string, body: (adminUrl: string) => Promise<void>): Promise<void> {
  await test(title, async (t) => {
    await dialectSubtest(t, 'postgres', () => body(requirePostgresUrl()));
  });
}

async function dialectSubtest(t: TestContext, dialect: DialectName, run: () => Promise<void>): Promise<void> {
  const skip = dialect === 'postgres' ? postgresSkipReason() : undefined;
  await t.test(dialect, skip ? { skip } : {}, run);
}

export async function freshDatabase(dialect: DialectName): Promise<FreshDatabase> {
  return dialect === 'postgres' ? freshPostgresDatabase() : freshSqliteFile();
}

export async function freshSqliteFile(): Promise<FreshDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-store-'));
  return { url: join(dir, 'mlfarm.sqlite'), drop: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A new, empty database (mlfarm_test_<random>) on the PostgreSQL that MLFARM_TEST_POSTGRES_URL points
 * at. It is created with a linguistic collation (ICU en-US, where 'cls' sorts before 'Det'), as many
 * production servers have, so a query that silently relies on byte order fails here and not there.
 */
export async function freshPostgresDatabase(adminUrl: string = requirePostgresUrl()): Promise<FreshDatabase> {
  const name = `mlfarm_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, async (admin) => {
    try {
      await admin.query(
        `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
      );
    } catch {
      // A server without ICU (or older than 15): its default collation has to do.
      await admin.query(`CREATE DATABASE ${name}`);
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(adminUrl, async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

async function withAdmin(adminUrl: string, use: (admin: pg.Client) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await use(admin);
  } finally {
    await admin.end();
  }
}

/** Undefined when the PostgreSQL case should run (configured, or CI where it must fail if it is not). */
function postgresSkipReason(): string | undefined {
  if (process.env[POSTGRES_URL_VARIABLE] || inCi()) {
    return undefined;
  }
  return (
    `PostgreSQL case skipped: set ${POSTGRES_URL_VARIABLE}=postgres://user:password@127.0.0.1:5432/db ` +
    '(a role that may CREATE DATABASE) to run it'
  );
}

const inCi = (): boolean => !['', '0', 'false'].includes(process.env.CI?.trim().toLowerCase() ?? '');

function requirePostgresUrl(): string {
  const url = process.env[POSTGRES_URL_VARIABLE];
  if (!url) {
    throw new Error(
      `CI is set but ${POSTGRES_URL_VARIABLE} is not: the PostgreSQL store tests must run in CI, never be ` +
        'skipped (.ci/run starts a local PostgreSQL and exports it)',
    );
  }
  return url;
}
