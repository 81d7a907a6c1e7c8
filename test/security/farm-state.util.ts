import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';

/** Row counts of the tables a refused call must not touch, read straight from the SQLite file. */
export function rowCounts(databaseFile: string): Record<'runs' | 'tasks' | 'artifacts', number> {
  const db = new SQLite(databaseFile, { readonly: true, fileMustExist: true });
  try {
    const count = (table: string): number =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { runs: count('runs'), tasks: count('tasks'), artifacts: count('artifacts') };
  } finally {
    db.close();
  }
}

/** Every file under a folder (recursively); an absent folder has none. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
