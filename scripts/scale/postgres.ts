import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onCleanup } from './cleanup.js';

export const DEFAULT_ADMIN_URL = 'postgres://mlfarm:mlfarm@127.0.0.1:5432/mlfarm';

export interface BenchDatabase {
  url: string;
  name: string;
  /** What the connections to it are doing now (pg_stat_activity, grouped): to tell a stall from a deadlock. */
  activity: () => Promise<string[]>;
  /** Drops it now (once; the cleanup at exit then has nothing left to do). */
  drop: () => Promise<void>;
}

async function admin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database mlfarm_bench_<random> on the admin URL's server; dropped by drop() or at cleanup. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `mlfarm_bench_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = onCleanup(`drop database ${name}`, () =>
    // WITH (FORCE) (PostgreSQL 13+) ends connections a killed coordinator may have left behind.
    admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  );
  const activity = (): Promise<string[]> =>
    admin(adminUrl, async (c) => {
      const { rows } = await c.query<{
        n: number;
        state: string;
        wait: string;
        query: string;
        xact_s: number;
      }>(
        `SELECT count(*)::int AS n, coalesce(state, '?') AS state,
                coalesce(wait_event_type || ':' || wait_event, '-') AS wait,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query,
                coalesce(max(extract(epoch FROM now() - xact_start)), 0)::float AS xact_s
           FROM pg_stat_activity WHERE datname = $1
          GROUP BY 2, 3, 4 ORDER BY 1 DESC LIMIT 12`,
        [name],
      );
      return rows.map(
        (r) => `${r.n}x ${r.state} wait=${r.wait} oldest xact ${r.xact_s.toFixed(0)} s: ${r.query}`,
      );
    });
  return { url: url.toString(), name, drop, activity };
}
