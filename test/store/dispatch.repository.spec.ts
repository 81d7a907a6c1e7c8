import assert from 'node:assert/strict';
import { openDatabase } from '../../apps/coordinator/store/database.js';
import { DispatchRepository } from '../../apps/coordinator/store/dispatch.repository.js';
import { RunRepository } from '../../apps/coordinator/store/run.repository.js';
import { WriteBatcher } from '../../apps/coordinator/store/write-batcher.js';
import { forEachDialect, freshPostgresDatabase, postgresTest } from '../support/store-dialects.js';
import type { Db } from '../../apps/coordinator/store/database.js';
import { type NewTask } from '../../apps/coordinator/store/run.repository.js';
import { REQUEST, newTask, seedArtifact } from './store-fixtures.js';

function seedRun(db: Db, runId: string, tasks: NewTask[], now = 10_000): Promise<void> {
  return new RunRepository(db).createRun(runId, `run ${runId}`, REQUEST, tasks, now);
}

// The dispatch path's queries on both dialects, and on PostgreSQL what replicas rely on: two sweeps at
// the same moment lease disjoint tasks (FOR UPDATE SKIP LOCKED), never one task twice.

await forEachDialect(
  'a sweep leases the oldest fitting tasks to idle agents in one statement',
  async (db) => {
    // As the coordinator has it: on SQLite the lease's compare-and-sets go to the writer thread.
    const dispatch = new DispatchRepository(db, new WriteBatcher(db));
    const runs = new RunRepository(db);
    const model = await seedArtifact(db, 'model');
    await seedRun(
      db,
      'run_old',
      [newTask('t_bound_busy', model, { agentId: 'busy' }), newTask('t_free_1', model)],
      100,
    );
    await seedRun(
      db,
      'run_new',
      [newTask('t_bound_a', model, { agentId: 'a' }), newTask('t_free_2', model)],
      200,
    );
    const seen: string[] = [];
    const leased = await dispatch.leaseQueued(['a', 'b'], 10, 5_000, (queued) => {
      seen.push(...queued.map((t) => t.id));
      return Promise.resolve([
        { taskId: 't_free_1', agentId: 'b' },
        { taskId: 't_bound_a', agentId: 'a' },
      ]);
    });
    assert.deepEqual(
      seen,
      ['t_free_1', 't_bound_a', 't_free_2'],
      "oldest first; another agent's bound task is not read",
    );
    assert.deepEqual(leased.map((t) => [t.id, t.state, t.agent_id, t.lease_expires_at]).sort(), [
      ['t_bound_a', 'leased', 'a', 5_000],
      ['t_free_1', 'leased', 'b', 5_000],
    ]);
    // Leased already: a second sweep choosing the same rows gets nothing (compare-and-set on the state).
    const again = await dispatch.leaseQueued(['b'], 10, 6_000, () =>
      Promise.resolve([{ taskId: 't_free_1', agentId: 'b' }]),
    );
    assert.deepEqual(again, []);
    assert.equal(await dispatch.markRunStarted('run_old', 300), true);
    assert.equal(await dispatch.markRunStarted('run_old', 400), false, 'only the first lease starts a run');
    assert.equal((await runs.findRunRow('run_old'))?.started_at, 300);

    assert.equal(await dispatch.hasUnfinishedTasks('run_new'), true);
    assert.equal((await dispatch.finishTask('t_bound_a', 'succeeded', 500, null))?.state, 'succeeded');
    assert.equal(
      await dispatch.finishTask('t_bound_a', 'failed', 600, 'late'),
      undefined,
      'an end never changes',
    );
    assert.equal(await dispatch.hasUnfinishedTasks('run_new'), true, 't_free_2 is still queued');
    await dispatch.finishTask('t_free_2', 'cancelled', 700, 'run cancelled');
    assert.equal(await dispatch.hasUnfinishedTasks('run_new'), false);
  },
);

await forEachDialect('agents that bound tasks wait for and nobody heard from are found', async (db) => {
  const dispatch = new DispatchRepository(db);
  const model = await seedArtifact(db, 'model');
  await seedRun(db, 'run_1', [
    newTask('t1', model, { agentId: 'gone' }),
    newTask('t2', model, { agentId: 'gone' }),
    newTask('t3', model, { agentId: 'never-seen' }),
    newTask('t4', model),
  ]);
  await db
    .insertInto('agents')
    .values({
      id: 'gone',
      name: 'gone-box',
      labels_json: '[]',
      fingerprint_json: '{}',
      eps_json: '[]',
      runtimes_json: '[]',
      first_seen_at: 10,
      last_seen_at: 1_000,
      replica_id: null,
    })
    .execute();
  const silent = await dispatch.silentAgentsWithQueuedTasks(2_000);
  assert.deepEqual(
    silent.sort((x, y) => x.agentId.localeCompare(y.agentId)),
    [
      { agentId: 'gone', name: 'gone-box', lastSeenAt: 1_000 },
      { agentId: 'never-seen', name: null, lastSeenAt: null },
    ],
  );
  assert.deepEqual(await dispatch.silentAgentsWithQueuedTasks(500), [
    { agentId: 'never-seen', name: null, lastSeenAt: null },
  ]);
  assert.deepEqual((await dispatch.queuedTasksBoundTo('gone')).map((t) => t.id).sort(), ['t1', 't2']);
});

// PostgreSQL only: SQLite has one writer and serves one coordinator.
await postgresTest('two replicas sweeping at once lease disjoint tasks, each task once', async () => {
  const fresh = await freshPostgresDatabase();
  const [db, other] = await Promise.all([openDatabase(fresh.url), openDatabase(fresh.url)]);
  try {
    const model = await seedArtifact(db, 'model');
    const tasks = Array.from({ length: 400 }, (_, i) => newTask(`t${String(i).padStart(3, '0')}`, model));
    await seedRun(db, 'run_1', tasks);
    const sweep = (handle: Db, agents: string[]) =>
      new DispatchRepository(handle).leaseQueued(agents, 40, 9_000, async (queued) => {
        // Hold the rows a moment, as a sweep that matches agents does, so the two really overlap.
        await new Promise((r) => setTimeout(r, 20));
        return queued.slice(0, agents.length).map((t, i) => ({ taskId: t.id, agentId: agents[i]! }));
      });
    const agentsA = Array.from({ length: 30 }, (_, i) => `a${i}`);
    const agentsB = Array.from({ length: 30 }, (_, i) => `b${i}`);
    const rounds = await Promise.all([0, 1, 2].flatMap(() => [sweep(db, agentsA), sweep(other, agentsB)]));
    const ids = rounds.flat().map((t) => t.id);
    assert.equal(new Set(ids).size, ids.length, 'no task leased twice');
    // SKIP LOCKED: a sweep never waits for, or loses to, the other: every sweep fills all its agents.
    assert.deepEqual(
      rounds.map((r) => r.length),
      [30, 30, 30, 30, 30, 30],
    );
    const leased = await db.selectFrom('tasks').select('id').where('state', '=', 'leased').execute();
    assert.equal(leased.length, ids.length, 'what the sweeps returned is what the store holds');
  } finally {
    await Promise.all([db.destroy(), other.destroy()]);
    await fresh.drop();
  }
});

await forEachDialect(
  'each idle agent is offered its own oldest task, however many older ones another has',
  async (db, dialect) => {
    const dispatch = new DispatchRepository(db);
    const model = await seedArtifact(db, 'model');
    await seedRun(
      db,
      'run_busy',
      Array.from({ length: 10 }, (_, i) => newTask(`x${i}`, model, { agentId: 'x' })),
      100,
    );
    await seedRun(db, 'run_late', [newTask('y_second', model, { agentId: 'y' })], 300);
    await seedRun(db, 'run_early', [newTask('y_first', model, { agentId: 'y' })], 200);
    let offered: string[] | undefined;
    const leased = await dispatch.leaseQueued(['x', 'y'], 4, 1_000, (queued) => {
      offered = queued.map((t) => t.id);
      return Promise.resolve(queued.map((t) => ({ taskId: t.id, agentId: t.agent_id! })));
    });
    assert.deepEqual(leased.map((t) => [t.id, t.agent_id, t.state]).sort(), [
      ['x0', 'x', 'leased'],
      ['y_first', 'y', 'leased'],
    ]);
    if (dialect === 'postgres') {
      // No unbound task is queued: the one-statement lease of oldest bound tasks served both.
      assert.equal(offered, undefined, 'the chooser was not needed');
    } else {
      assert.deepEqual(offered, ['x0', 'y_first'], "x's nine other tasks do not crowd y out");
    }
  },
);

await postgresTest(
  'one statement leases bound tasks older than any unbound one; the chooser gets the rest and only the free agents',
  async () => {
    const fresh = await freshPostgresDatabase();
    const db = await openDatabase(fresh.url);
    try {
      const dispatch = new DispatchRepository(db);
      const model = await seedArtifact(db, 'model');
      await seedRun(db, 'run_1', [newTask('a_old', model, { agentId: 'a' })], 100);
      await seedRun(db, 'run_2', [newTask('free_mid', model)], 200);
      await seedRun(
        db,
        'run_3',
        [newTask('b_young', model, { agentId: 'b' }), newTask('free_young', model)],
        300,
      );
      const calls: { offered: string[]; free: readonly string[] }[] = [];
      const leased = await dispatch.leaseQueued(['a', 'b', 'c'], 10, 5_000, (queued, _db, free) => {
        calls.push({ offered: queued.map((t) => t.id), free });
        // As the scheduler does: oldest first, b's own task to b, unbound ones to the next free agent.
        const left = new Set(free);
        const picks = [];
        for (const t of queued) {
          const agent = t.agent_id ?? [...left][0];
          if (agent !== undefined && left.delete(agent)) {
            picks.push({ taskId: t.id, agentId: agent });
          }
        }
        return Promise.resolve(picks);
      });
      // a's task predates every unbound one: leased in the first statement. b's is younger than
      // free_mid, so b and c go to the chooser, which sees the oldest first and only b and c as free
      // (b takes free_mid; its own task waits for its next sweep).
      assert.deepEqual(calls, [{ offered: ['free_mid', 'b_young', 'free_young'], free: ['b', 'c'] }]);
      assert.deepEqual(leased.map((t) => [t.id, t.agent_id]).sort(), [
        ['a_old', 'a'],
        ['free_mid', 'b'],
        ['free_young', 'c'],
      ]);
      const states = await db
        .selectFrom('tasks')
        .select(['id', 'state', 'lease_expires_at'])
        .orderBy('id')
        .execute();
      assert.deepEqual(
        states.map((t) => [t.id, t.state, t.lease_expires_at]),
        [
          ['a_old', 'leased', 5_000],
          ['b_young', 'queued', null],
          ['free_mid', 'leased', 5_000],
          ['free_young', 'leased', 5_000],
        ],
      );
    } finally {
      await db.destroy();
      await fresh.drop();
    }
  },
);
