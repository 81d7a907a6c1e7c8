import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { openDatabase } from './database.js';
import { WalCheckpointer } from './wal-checkpointer.js';

const ROW_BYTES = 4_000;
const ROWS = 2_000; // ~8 MB: about two thousand log frames per batch

function writer(file: string): SQLite.Database {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0'); // only the worker copies the log here
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  return db;
}

function writeBatch(db: SQLite.Database, first: number): void {
  const insert = db.prepare('INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      insert.run(first + i, Buffer.alloc(ROW_BYTES, i % 251));
    }
  })();
}

await test(
  'the worker copies the log into the database file, and the writer then starts the log over',
  { timeout: 30_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlfarm-wal-'));
    const file = join(dir, 'farm.sqlite');
    const db = writer(file);
    try {
      writeBatch(db, 0);
      const before = statSync(file).size;
      assert.ok(before < ROW_BYTES * 10, 'nothing was checkpointed yet: the rows are only in the log');
      const checkpointer = new WalCheckpointer({ file, intervalMs: 20, minFrames: 100 });
      await checkpointer.until((r) => r.checkpoints > 0 && statSync(file).size > ROWS * ROW_BYTES);
      const walAfterFirst = statSync(`${file}-wal`).size;
      // The same amount again: a log copied completely is reused from its start, so it does not grow.
      writeBatch(db, 0);
      await checkpointer.until(() => statSync(file).size > ROWS * ROW_BYTES);
      assert.ok(
        statSync(`${file}-wal`).size <= walAfterFirst,
        `log grew from ${walAfterFirst} to ${statSync(`${file}-wal`).size} bytes: it was not started over`,
      );
      assert.equal((db.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n, ROWS);
      checkpointer.stop();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

await test(
  'an SQLite store reaches its database file without the coordinator checkpointing, and closes cleanly',
  { timeout: 30_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlfarm-wal-'));
    const file = join(dir, 'store.sqlite');
    try {
      const db = await openDatabase(file);
      const migrated = statSync(file).size;
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 200; i++) {
          await trx
            .insertInto('cluster_events')
            .values({ payload: 'x'.repeat(20_000), created_at: i })
            .execute();
        }
      });
      const deadline = Date.now() + 10_000;
      while (statSync(file).size <= migrated + 200 * 20_000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(statSync(file).size > migrated + 200 * 20_000, 'the rows were copied into the database file');
      await db.destroy();
      const reopened = new SQLite(file, { readonly: true });
      assert.equal(
        (reopened.prepare('SELECT count(*) AS n FROM cluster_events').get() as { n: number }).n,
        200,
      );
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
