import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { type Db, openDatabase } from '../../apps/coordinator/store/database.js';
import { DispatchRepository } from '../../apps/coordinator/store/dispatch.repository.js';
import { RunRepository } from '../../apps/coordinator/store/run.repository.js';
import { SqliteWriter } from '../../apps/coordinator/store/sqlite-writer.js';
import { WriteBatcher } from '../../apps/coordinator/store/write-batcher.js';
import { REQUEST, newTask, seedArtifact } from './store-fixtures.js';

// SQLite's hot writes commit on a writer thread with its own connection (sqlite-writer.ts), while the
// coordinator's connection keeps reading and doing the rarer writes.

async function withStore(body: (db: Db, file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mlfarm-writer-'));
  const file = join(dir, 'farm.sqlite');
  const db = await openDatabase(file);
  try {
    await body(db, file);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function seedTasks(db: Db, ids: string[]): Promise<void> {
  const model = await seedArtifact(db, 'model');
  await new RunRepository(db).createRun(
    'run_1',
    'run 1',
    REQUEST,
    ids.map((id) => newTask(id, model)),
    100,
  );
}

const stateOf = async (db: Db, id: string): Promise<string | undefined> =>
  (await new RunRepository(db).findTask(id))?.state;

await test('jobs gathered in one turn share a commit; a failing job fails alone, naming why', async () => {
  await withStore(async (db) => {
    await seedTasks(db, ['t1', 't2', 't3']);
    const writes = new WriteBatcher(db);
    const dispatch = new DispatchRepository(db, writes);
    const finish = (id: string): Promise<unknown> =>
      writes.write([{ query: dispatch.finishTaskQuery(id, 'succeeded', 500, null) }]);
    const [one, broken, three] = await Promise.allSettled([
      finish('t1'),
      writes.write([
        { query: dispatch.finishTaskQuery('t2', 'failed', 500, 'x') },
        { query: sql`UPDATE no_such_table SET x = 1`.compile(db) },
      ]),
      finish('t3'),
    ]);
    assert.equal(one.status, 'fulfilled');
    assert.equal(three.status, 'fulfilled');
    assert.equal(broken.status, 'rejected');
    assert.match(String(broken.reason), /no such table: no_such_table/);
    // The reader here sees what the writer thread committed; the failed job left nothing behind.
    assert.deepEqual(
      [await stateOf(db, 't1'), await stateOf(db, 't2'), await stateOf(db, 't3')],
      ['succeeded', 'queued', 'succeeded'],
    );
  });
});

await test('a step with `when` runs only if that step changed a row; RETURNING rows come back', async () => {
  await withStore(async (db) => {
    await seedTasks(db, ['t1', 't2']);
    const writes = new WriteBatcher(db);
    const dispatch = new DispatchRepository(db, writes);
    const endAndCount = (id: string): Promise<unknown[]> =>
      writes.write([
        { query: dispatch.finishTaskQuery(id, 'succeeded', 600, null) },
        { query: dispatch.unfinishedTaskQuery('run_1'), when: 0 },
      ]);
    const [ended, unfinished] = (await endAndCount('t1')) as [
      { rows: { id: string; state: string }[]; changes: number },
      { changes: number },
    ];
    assert.deepEqual(
      ended.rows.map((r) => [r.id, r.state]),
      [['t1', 'succeeded']],
    );
    assert.equal(unfinished.changes, 1, 't2 is still queued');
    assert.deepEqual(await endAndCount('t1'), [{ rows: [], changes: 0 }, null], 'ended already: skipped');
    const [, none] = (await endAndCount('t2')) as [unknown, { changes: number }];
    assert.equal(none.changes, 0, 'the last task: nothing left to finish');
  });
});

await test("the coordinator's own transactions wait for the writer thread instead of failing", async () => {
  await withStore(async (db) => {
    await seedTasks(db, ['t1', 't2']);
    const writes = new WriteBatcher(db);
    const dispatch = new DispatchRepository(db, writes);
    let hot: Promise<unknown> | undefined;
    // Read, let the writer thread try to commit meanwhile, then write. A deferred transaction would
    // fail its write with SQLITE_BUSY (its snapshot would be older than the other commit); one that
    // begins IMMEDIATE holds the lock from the start, and the writer thread waits for it.
    await db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('tasks').select('state').where('id', '=', 't2').executeTakeFirst();
      assert.equal(row?.state, 'queued');
      hot = writes.write([{ query: dispatch.finishTaskQuery('t1', 'succeeded', 700, null) }]);
      await sleep(100);
      await trx.updateTable('tasks').set({ state: 'cancelled' }).where('id', '=', 't2').execute();
    });
    await hot;
    assert.deepEqual([await stateOf(db, 't1'), await stateOf(db, 't2')], ['succeeded', 'cancelled']);
  });
});

await test('a writer thread that fails rejects what it held; the next write starts a new one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlfarm-writer-'));
  const file = join(dir, 'later.sqlite');
  const writer = new SqliteWriter({ file, pragmas: ['busy_timeout = 5000'] });
  try {
    await assert.rejects(
      writer.execute([{ steps: [{ sql: 'SELECT 1', parameters: [] }] }]),
      /the SQLite writer thread failed: .*/,
    );
    const db = new SQLite(file);
    db.exec('CREATE TABLE t (x INTEGER)');
    const [outcome] = await writer.execute([
      { steps: [{ sql: 'INSERT INTO t VALUES (?)', parameters: [7] }] },
    ]);
    assert.deepEqual(outcome, { steps: [{ rows: [], changes: 1 }] });
    assert.deepEqual(db.prepare('SELECT x FROM t').all(), [{ x: 7 }]);
    writer.stop();
    await assert.rejects(writer.execute([{ steps: [] }]), /the store is closed/);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

await test('a run stored through the writer thread appears with all its tasks, or not at all', async () => {
  await withStore(async (db) => {
    const writes = new WriteBatcher(db);
    const runs = new RunRepository(db, writes);
    const model = await seedArtifact(db, 'model');
    const tasks = Array.from({ length: 2_500 }, (_, i) => newTask(`t${i}`, model));
    await runs.createRun('run_ok', 'ok', REQUEST, tasks, 100);
    assert.equal((await runs.getRun('run_ok'))?.tasksTotal, 2_500, 'three INSERTs of tasks, one job');
    assert.equal(await new DispatchRepository(db, writes).markRunStarted('run_ok', 200), true);
    assert.equal((await runs.findRunRow('run_ok'))?.state, 'running');

    // The last task names a model that is not stored: the whole job fails, naming why.
    const broken = [
      ...tasks.slice(0, 1_500).map((t) => ({ ...t, id: `b${t.id}` })),
      newTask('bad', 'f'.repeat(64)),
    ];
    await assert.rejects(runs.createRun('run_bad', 'bad', REQUEST, broken, 100), /FOREIGN KEY/);
    assert.equal(await runs.findRunRow('run_bad'), undefined);
    assert.equal((await db.selectFrom('tasks').select('id').where('id', 'like', 'b%').execute()).length, 0);
  });
});
