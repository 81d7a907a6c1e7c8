// Preloaded into a coordinator by bench-scale --sql-prof (node --import): counts and times every SQL
// statement by its text, without touching the coordinator's code. better-sqlite3 is synchronous, so its
// times are SQLite's own work (prepare and step), inflated only when the machine preempts the process;
// node-postgres times are round trips (server work plus waiting, overlapping). Wall clock only: CPU time
// per call (process.cpuUsage) cost more than the statements themselves. Run it apart from --cpu-prof:
// the profile then tells how much CPU SQLite takes, this how it splits over statements.
// Written to $SCALE_SQL_PROF_DIR/sql-<pid>.json when the process exits.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface SqlStat {
  sql: string;
  count: number;
  /** Wall time of the calls (PostgreSQL: round trips). */
  ms: number;
  prepareMs: number;
  /** The slowest call, and how many took longer than SLOW_MS (stalls that make the dispatch tail). */
  maxMs: number;
  slow: number;
}

const SLOW_MS = 10;

const stats = new Map<string, SqlStat>();
const outDir = process.env.SCALE_SQL_PROF_DIR;
// Resolve the packages as the coordinator does (from the working directory's project).
const require = createRequire(join(process.cwd(), 'package.json'));

/** Lists of placeholders and CASE arms vary in length with the batch; one line per statement shape. */
function shape(sql: string): string {
  return sql
    .replace(/\$\d+/g, '?')
    .replace(/\?(\s*,\s*\?)+/g, '?…')
    .replace(/(when "id" = \? then \?\s*)+/g, 'when "id" = ? then ? … ')
    .replace(/\s+/g, ' ')
    .slice(0, 240);
}

function entry(sql: string): SqlStat {
  const key = shape(sql);
  let s = stats.get(key);
  if (!s) {
    s = { sql: key, count: 0, ms: 0, prepareMs: 0, maxMs: 0, slow: 0 };
    stats.set(key, s);
  }
  return s;
}

function executed(sql: string, ms: number): void {
  const s = entry(sql);
  s.count += 1;
  s.ms += ms;
  s.maxMs = Math.max(s.maxMs, ms);
  s.slow += ms > SLOW_MS ? 1 : 0;
}

type Fn = (this: { source?: string }, ...args: unknown[]) => unknown;

function patchSqlite(): void {
  let Database: { prototype: { prepare: Fn } };
  try {
    Database = require('better-sqlite3') as typeof Database;
  } catch {
    return;
  }
  const prepare = Database.prototype.prepare;
  const patched = new WeakSet<object>();
  Database.prototype.prepare = function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    const statement = prepare.apply(this as never, args) as { source: string };
    entry(String(args[0])).prepareMs += performance.now() - t;
    const proto = Object.getPrototypeOf(statement) as Record<string, Fn>;
    if (!patched.has(proto)) {
      patched.add(proto);
      for (const method of ['run', 'get', 'all', 'iterate']) {
        const original = proto[method];
        if (typeof original === 'function') {
          proto[method] = function (this: { source?: string }, ...a: unknown[]) {
            const t0 = performance.now();
            try {
              return original.apply(this, a);
            } finally {
              executed(this.source ?? '?', performance.now() - t0);
            }
          };
        }
      }
    }
    return statement;
  };
}

function patchPostgres(): void {
  let pg: { Client: { prototype: { query: Fn } } };
  try {
    pg = require('pg') as typeof pg;
  } catch {
    return;
  }
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : String((first as { text?: string } | null)?.text ?? '?');
    const t0 = performance.now();
    const result = query.apply(this as never, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      const done = (): void => executed(text, performance.now() - t0);
      (result as Promise<unknown>).then(done, done);
    }
    return result;
  };
}

if (outDir) {
  patchSqlite();
  patchPostgres();
  process.on('exit', () => {
    const rows = [...stats.values()].sort((a, b) => b.ms + b.prepareMs - (a.ms + a.prepareMs));
    writeFileSync(join(outDir, `sql-${process.pid}.json`), `${JSON.stringify(rows, null, 1)}\n`);
  });
}
