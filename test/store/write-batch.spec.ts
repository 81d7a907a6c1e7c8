import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { TaskResult } from '#contracts';
import { AgentRepository } from '../../apps/coordinator/store/agent.repository.js';
import { type Db, openDatabase } from '../../apps/coordinator/store/database.js';
import type { Database, TaskTable } from '../../apps/coordinator/store/database.types.js';
import { DispatchRepository } from '../../apps/coordinator/store/dispatch.repository.js';
import { ResultRepository } from '../../apps/coordinator/store/result.repository.js';
import { RunRepository } from '../../apps/coordinator/store/run.repository.js';
import { type StepOutcome, WriteBatcher } from '../../apps/coordinator/store/write-batcher.js';
import { forEachDialect, freshPostgresDatabase, postgresTest } from '../support/store-dialects.js';
import { sampleResult as resultFor, seedRun } from './store-fixtures.js';

// The jobs of every task (result, end, start, heartbeat) as the scheduler sends them. On PostgreSQL the
// jobs of one batch run as one statement per kind (bulk-write.ts): each job must still get exactly the
// outcome it would have had alone, in job order.

interface Repos {
  writes: WriteBatcher;
  dispatch: DispatchRepository;
  results: ResultRepository;
  runs: RunRepository;
  agents: AgentRepository;
}

function reposOf(db: Db): Repos {
  const writes = new WriteBatcher(db);
  return {
    writes,
    dispatch: new DispatchRepository(db, writes),
    results: new ResultRepository(db),
    runs: new RunRepository(db),
    agents: new AgentRepository(db),
  };
}

/** The scheduler's result job: store it; if stored, end its task; then ask whether the run has tasks left. */
function resultJob(r: Repos, result: TaskResult, runId: string, now: number): Promise<StepOutcome[]> {
  return r.writes.write([
    r.results.insertStep(result, now),
    { ...r.dispatch.finishTaskStep(result.taskId, 'succeeded', now, null), when: 0 },
    { ...r.dispatch.unfinishedTaskStep(runId), when: 0 },
  ]);
}

async function lease(db: Db, ids: string[], agentId: string): Promise<void> {
  await db
    .updateTable('tasks')
    .set({ state: 'leased', agent_id: agentId, lease_expires_at: 1_000 })
    .where('id', 'in', ids)
    .execute();
}

/**
 * PostgreSQL: a fresh database with run_1's tasks t1 and t2 leased to agent_a, two store handles (two
 * coordinators, or two write lanes) and a one-connection handle for the test's own locks.
 */
async function withTwoLanes(body: (db: Db, other: Db, holder: Db) => Promise<void>): Promise<void> {
  const fresh = await freshPostgresDatabase();
  const [db, other, holder] = await Promise.all([
    openDatabase(fresh.url),
    openDatabase(fresh.url),
    openDatabase(fresh.url, { poolSize: 1 }),
  ]);
  try {
    await seedRun(db, 'run_1', ['t1', 't2']);
    await lease(db, ['t1', 't2'], 'agent_a');
    await body(db, other, holder);
  } finally {
    await Promise.all([db.destroy(), other.destroy(), holder.destroy()]);
    await fresh.drop();
  }
}

await forEachDialect(
  'a batch of every job kind: each job gets its own outcome, a duplicate result changes nothing',
  async (db, dialect) => {
    const r = reposOf(db);
    await seedRun(db, 'run_1', ['t1', 't2', 't3', 't4']);
    await r.agents.upsert({
      id: 'agent_a',
      name: 'a',
      labels: [],
      fingerprint: {} as never,
      executionProviders: [],
      runtimes: [],
      lastSeenAt: 1,
    });
    await lease(db, ['t1', 't2', 't3', 't4'], 'agent_a');
    // One turn of the event loop: one batch.
    const [first, again, second, started, beat, wrongAttempt] = await Promise.all([
      resultJob(r, resultFor('t1', 1), 'run_1', 5_000),
      resultJob(r, resultFor('t1', 1), 'run_1', 5_001),
      resultJob(r, resultFor('t2', 1), 'run_1', 5_002),
      r.writes.write([r.dispatch.markTaskRunningStep('t3', 1, 5_003, 9_000)]),
      r.writes.write([
        r.agents.touchStep('agent_a', 5_004),
        r.runs.renewLeasesStep('agent_a', ['t3', 't4', 't_unknown'], 9_500),
      ]),
      r.writes.write([r.dispatch.markTaskRunningStep('t4', 7, 5_005, 9_000)]),
    ]);

    assert.equal(first[0]!.changes, 1, 'the first copy of a result is stored');
    assert.equal((first[1]!.rows[0] as TaskTable).state, 'succeeded');
    assert.equal(first[2]!.changes, 1, 't3 and t4 are unfinished');
    assert.deepEqual(
      again,
      [{ rows: [], changes: 0 }, null, null],
      'the same (task, attempt) again: nothing',
    );
    assert.equal((second[1]!.rows[0] as TaskTable).id, 't2');
    assert.equal(second[2]!.changes, 1);
    assert.equal((started[0]!.rows[0] as TaskTable).state, 'running');
    assert.equal(beat[0]!.changes, 1, 'the agent was touched');
    assert.equal(beat[1]!.changes, 2, 'two of the three leases were the agent’s, active');
    assert.deepEqual(wrongAttempt, [{ rows: [], changes: 0 }], 'a start of another attempt changes nothing');

    const t3 = await r.runs.findTask('t3');
    assert.equal(t3?.state, 'running');
    assert.equal(Number(t3?.lease_expires_at), 9_500, 'the renewal came after the start, in job order');
    assert.equal(Number((await r.runs.findTask('t4'))?.lease_expires_at), 9_500);
    const touched = (await r.agents.list()).find((a) => a.id === 'agent_a');
    assert.equal(Number(touched?.lastSeenAt), 5_004);
    assert.equal((await r.results.listForRun('run_1')).length, 2);

    // The run's last two tasks in one batch: the last job's probe, at least, finds the run drained (on
    // PostgreSQL both do: the probe runs after the batch's commit).
    const [third, fourth] = await Promise.all([
      resultJob(r, resultFor('t3', 1), 'run_1', 6_000),
      resultJob(r, resultFor('t4', 1), 'run_1', 6_001),
    ]);
    assert.equal(fourth[2]!.changes, 0);
    assert.ok(third[2]!.changes === 0 || dialect === 'sqlite');
  },
);

await forEachDialect('a job whose statement fails fails alone, naming why; the rest commit', async (db) => {
  const r = reposOf(db);
  await seedRun(db, 'run_1', ['t1', 't2']);
  await lease(db, ['t1', 't2'], 'agent_a');
  const [one, broken, two] = await Promise.allSettled([
    resultJob(r, resultFor('t1', 1), 'run_1', 5_000),
    r.writes.write([r.results.insertStep(resultFor('t_missing', 1), 5_000)]),
    resultJob(r, resultFor('t2', 1), 'run_1', 5_000),
  ]);
  assert.equal(one.status, 'fulfilled');
  assert.equal(two.status, 'fulfilled');
  assert.equal(broken.status, 'rejected');
  assert.match(String(broken.reason), /foreign key/i);
  assert.equal((await r.results.listForRun('run_1')).length, 2);
});

await postgresTest(
  "two coordinators ending a run's last two tasks at once: one of them sees the run drained",
  () =>
    withTwoLanes(async (db, other, holder) => {
      // Both transactions end their task, then wait on a lock the test holds, so both are open at once.
      // A probe inside them would see the other's task unfinished, and nobody would settle the run.
      const hold = holder.connection().execute(async (conn) => {
        await sql`SELECT pg_advisory_lock(42)`.execute(conn);
        await waitUntil(async () => (await lockWaiters(conn)) === 2);
        await sql`SELECT pg_advisory_unlock(42)`.execute(conn);
      });
      const end = (handle: Db, id: string) => {
        const r = reposOf(handle);
        return r.writes.write([
          r.dispatch.finishTaskStep(id, 'succeeded', 5_000, null),
          { query: sql`SELECT pg_advisory_xact_lock_shared(42)`.compile(handle) },
          { ...r.dispatch.unfinishedTaskStep('run_1'), when: 0 },
        ]);
      };
      const [a, b] = await Promise.all([end(db, 't1'), end(other, 't2'), hold]);
      assert.ok(a[0]!.changes === 1 && b[0]!.changes === 1);
      assert.ok(
        a[2]!.changes === 0 || b[2]!.changes === 0,
        `both saw a task left: ${JSON.stringify([a[2], b[2]])}`,
      );
    }),
);

await postgresTest(
  'a lease renewal skips a task row another transaction holds instead of waiting for it (no deadlock)',
  async () => {
    const fresh = await freshPostgresDatabase();
    const [db, holder] = await Promise.all([
      openDatabase(fresh.url),
      openDatabase(fresh.url, { poolSize: 1 }),
    ]);
    try {
      await seedRun(db, 'run_1', ['t1', 't2']);
      await lease(db, ['t1', 't2'], 'agent_a');
      const r = reposOf(db);
      let renewal: StepOutcome[] | undefined;
      // Another write lane ends t1 and keeps its transaction open: the renewal of t1 and t2 must answer
      // meanwhile. Waiting for t1 is what deadlocked when that lane then wanted a row the renewal held.
      await holder.transaction().execute(async (trx) => {
        await trx
          .updateTable('tasks')
          .set({ state: 'succeeded', finished_at: 5_000, lease_expires_at: null })
          .where('id', '=', 't1')
          .execute();
        renewal = await Promise.race([
          r.writes.write([r.runs.renewLeasesStep('agent_a', ['t1', 't2'], 9_000)]),
          sleep(5_000).then(() => Promise.reject(new Error('the renewal waited for the row held elsewhere'))),
        ]);
      });
      assert.equal(renewal![0]!.changes, 1, 'the free row renewed, the held one skipped');
      assert.deepEqual(await tasksWithLeases(db), [
        ['t1', 'succeeded', null],
        ['t2', 'leased', 9_000],
      ]);
    } finally {
      await Promise.all([db.destroy(), holder.destroy()]);
      await fresh.drop();
    }
  },
);

await postgresTest(
  'two lanes starting and ending the same tasks in opposite orders do not deadlock (rows locked in id order first)',
  () =>
    withTwoLanes(async (db, other, holder) => {
      // Each lane's job updates one task, waits on a lock the test holds, then updates the other task:
      // in statement order, lane A would hold t2 and want t1 while lane B held t1 and wanted t2.
      const laneJob = (handle: Db, first: string, second: string) => {
        const r = reposOf(handle);
        return r.writes.write([
          r.dispatch.markTaskRunningStep(first, 1, 5_000, 9_000),
          { query: sql`SELECT pg_advisory_xact_lock_shared(43)`.compile(handle) },
          r.dispatch.finishTaskStep(second, 'succeeded', 6_000, null),
        ]);
      };
      const hold = holder.connection().execute(async (conn) => {
        await sql`SELECT pg_advisory_lock(43)`.execute(conn);
        // Both lanes are inside their transactions and waiting: on this lock, or on the other's rows.
        await waitUntil(async () => (await waitingLocks(conn)) >= 2);
        await sql`SELECT pg_advisory_unlock(43)`.execute(conn);
      });
      const outcomes = await Promise.allSettled([laneJob(db, 't2', 't1'), laneJob(other, 't1', 't2'), hold]);
      const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
      assert.deepEqual(failures, [], 'no lane failed (a deadlock fails one of them)');
      const rows = await db.selectFrom('tasks').select(['id', 'state']).orderBy('id').execute();
      assert.deepEqual(
        rows.map((t) => [t.id, t.state]),
        [
          ['t1', 'succeeded'],
          ['t2', 'succeeded'],
        ],
      );
    }),
);

await postgresTest(
  "a heartbeat's renewal does not hold its task until the rest of its batch commits (its own commit)",
  () =>
    withTwoLanes(async (db, other, holder) => {
      const r = reposOf(db);
      await sql`SELECT pg_advisory_lock(44)`.execute(holder);
      // One batch: t1's renewal, and a job that starts t2 and then waits on the test's lock, so the
      // batch's transaction stays open.
      const beat = r.writes.write([r.runs.renewLeasesStep('agent_a', ['t1'], 9_000)]);
      const slow = r.writes.write([
        r.dispatch.markTaskRunningStep('t2', 1, 5_000, 9_000),
        { query: sql`SELECT pg_advisory_xact_lock_shared(44)`.compile(db) },
      ]);
      await waitUntil(async () => (await lockWaiters(holder)) === 1);
      // Another lane ends t1 meanwhile: inside the batch, the renewal would hold t1 until its commit.
      const o = reposOf(other);
      const ended = await Promise.race([
        o.writes.write([o.dispatch.finishTaskStep('t1', 'succeeded', 6_000, null)]),
        sleep(5_000).then(() => Promise.reject(new Error('ending t1 waited for the batch that renewed it'))),
      ]);
      await sql`SELECT pg_advisory_unlock(44)`.execute(holder);
      const [renewed, started] = await Promise.all([beat, slow]);
      assert.equal(ended[0]!.changes, 1, 't1 ended');
      assert.equal(
        renewed[0]!.changes,
        0,
        'the renewal came after the batch: t1 had ended, nothing to renew',
      );
      assert.equal(started[0]!.changes, 1, 't2 started');
      assert.deepEqual(await tasksWithLeases(db), [
        ['t1', 'succeeded', null],
        ['t2', 'running', 9_000],
      ]);
    }),
);

await postgresTest(
  'a job that locks a task a batch under way holds waits for that batch; the jobs behind it do not',
  () =>
    withTwoLanes(async (db, _other, holder) => {
      const r = reposOf(db);
      await sql`SELECT pg_advisory_lock(45)`.execute(holder);
      // A batch under way starts t1, then waits on the test's lock with t1's row held.
      const first = r.writes.write([
        r.dispatch.markTaskRunningStep('t1', 1, 5_000, 9_000),
        { query: sql`SELECT pg_advisory_xact_lock_shared(45)`.compile(db) },
      ]);
      await waitUntil(async () => (await lockWaiters(holder)) === 1);
      // Next: t1's end (it must wait for the first batch) and t2's start (it need not).
      let endedEarly = false;
      const end = r.writes.write([r.dispatch.finishTaskStep('t1', 'succeeded', 6_000, null)]).then((o) => {
        endedEarly = true;
        return o;
      });
      const start = await Promise.race([
        r.writes.write([r.dispatch.markTaskRunningStep('t2', 1, 6_000, 9_000)]),
        sleep(5_000).then(() => Promise.reject(new Error("t2's start waited behind t1's end"))),
      ]);
      assert.equal(start[0]!.changes, 1, 't2 started while the first batch still holds t1');
      assert.equal(endedEarly, false, "t1's end waits for the batch that starts t1");
      await sql`SELECT pg_advisory_unlock(45)`.execute(holder);
      const [started, ended] = await Promise.all([first, end]);
      assert.equal(started[0]!.changes, 1);
      assert.equal(ended[0]!.changes, 1, 't1 ended after it started, in the order asked');
      const rows = await db.selectFrom('tasks').select(['id', 'state']).orderBy('id').execute();
      assert.deepEqual(
        rows.map((t) => [t.id, t.state]),
        [
          ['t1', 'succeeded'],
          ['t2', 'running'],
        ],
      );
    }),
);

/** Every task as [id, state, lease_expires_at], by id. */
async function tasksWithLeases(db: Db): Promise<unknown[][]> {
  const rows = await db
    .selectFrom('tasks')
    .select(['id', 'state', 'lease_expires_at'])
    .orderBy('id')
    .execute();
  return rows.map((t) => [t.id, t.state, t.lease_expires_at]);
}

/** Locks not granted yet, of any kind: an advisory lock, or a row's transaction. */
async function waitingLocks(conn: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_locks WHERE NOT granted`.execute(
    conn,
  );
  return Number(rows[0]!.n);
}

async function lockWaiters(conn: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`.execute(conn);
  return Number(rows[0]!.n);
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) {
      return;
    }
    await sleep(25);
  }
  throw new Error('timed out waiting');
}
