import assert from 'node:assert/strict';
import { RunKind, RunState, TaskState } from '#contracts';
import type { TaskTable } from '../../apps/coordinator/store/database.types.js';
import { DispatchRepository } from '../../apps/coordinator/store/dispatch.repository.js';
import { RunRepository } from '../../apps/coordinator/store/run.repository.js';
import { forEachDialect } from '../support/store-dialects.js';
import { REQUEST, leaseTask, newTask, seedArtifact, seedRun } from './store-fixtures.js';

// Run and task lifecycle on both dialects: what the scheduler and the gRPC handlers rely on.

await forEachDialect(
  'a run and its tasks are created together and read back with their types',
  async (db) => {
    const runs = new RunRepository(db);
    const model = await seedArtifact(db, 'model');
    await runs.createRun(
      'run_1',
      'first',
      REQUEST,
      [newTask('task_b', model), newTask('task_a', model, { agentId: 'agent-x', side: 'base', round: 2 })],
      1_700_000_000_123,
      { kind: 'gate', suite: 'suite-a', baseline: 'main', suiteJson: '{}', submittedBy: 'tok_1' },
    );
    const row = await runs.findRunRow('run_1');
    assert.deepEqual(row, {
      id: 'run_1',
      name: 'first',
      state: 'queued',
      request_json: JSON.stringify(REQUEST),
      created_at: 1_700_000_000_123,
      started_at: null,
      finished_at: null,
      kind: 'gate',
      suite: 'suite-a',
      baseline: 'main',
      suite_json: '{}',
      submitted_by: 'tok_1',
    });
    const run = await runs.getRun('run_1');
    assert.equal(run?.state, RunState.RUN_STATE_QUEUED);
    assert.equal(run?.kind, RunKind.RUN_KIND_GATE);
    assert.equal(run?.createdAtMs, '1700000000123');
    assert.equal(run?.finishedAtMs, '0');
    assert.equal(run?.tasksTotal, 2);
    // Tasks come back in insertion (seq) order, not by id.
    const tasks = await runs.listTasks('run_1');
    assert.deepEqual(
      tasks.map((t) => [t.id, t.state, t.attempt, t.agentId, t.startedAtMs, t.side, t.round]),
      [
        ['task_b', TaskState.TASK_STATE_QUEUED, 1, '', '0', '', 0],
        ['task_a', TaskState.TASK_STATE_QUEUED, 1, 'agent-x', '0', 'base', 2],
      ],
    );
    const taskRow = await runs.findTask('task_a');
    assert.equal(taskRow?.seq, 1);
    assert.equal(typeof taskRow?.created_at, 'number');
    assert.equal(taskRow?.lease_expires_at, null);
    assert.equal(taskRow?.runtime, '', 'the default runtime is the empty string, not null');
    assert.equal(await runs.getRun('run_missing'), undefined);
    assert.equal(await runs.findTask('task_missing'), undefined);
  },
);

await forEachDialect('a run whose task insert fails leaves no run behind', async (db) => {
  const runs = new RunRepository(db);
  // The model was never uploaded: the foreign key fails the task insert, and the run goes with it.
  await assert.rejects(runs.createRun('run_1', 'r', REQUEST, [newTask('t1', 'f'.repeat(64))], 1));
  assert.equal(await runs.findRunRow('run_1'), undefined);
});

await forEachDialect('appended tasks continue the sequence, also when appends race', async (db) => {
  const runs = new RunRepository(db);
  const model = await seedRun(db, 'run_1', ['t0', 't1']);
  await runs.appendTasks('run_1', [newTask('t2', model)], 20_000);
  await Promise.all(
    [3, 4, 5, 6, 7].map((n) =>
      runs.appendTasks('run_1', [newTask(`t${n}a`, model), newTask(`t${n}b`, model)], 20_000),
    ),
  );
  const rows = await runs.listTaskRows('run_1');
  assert.deepEqual(
    rows.map((r) => r.seq),
    Array.from({ length: 13 }, (_, i) => i),
    'every appended task got its own seq',
  );
  assert.deepEqual(
    rows.slice(0, 3).map((r) => r.id),
    ['t0', 't1', 't2'],
  );
  // An append to a run without tasks starts at 0.
  await runs.createRun('run_2', 'r2', REQUEST, [], 1);
  await runs.appendTasks('run_2', [newTask('u0', model)], 2);
  assert.equal((await runs.findTask('u0'))?.seq, 0);
});

await forEachDialect('the queue: oldest first, bound tasks only for their agent', async (db, dialect) => {
  const runs = new RunRepository(db);
  const model = await seedArtifact(db, 'model');
  // Two runs created in the same millisecond: the task id, not insertion order, decides between equal
  // (created_at, seq).
  await runs.createRun(
    'run_a',
    'a',
    REQUEST,
    [newTask('task_a', model), newTask('task_mine', model, { agentId: 'agent-1' })],
    5,
  );
  await runs.createRun('run_b', 'b', REQUEST, [newTask('task_B', model), newTask('task_b2', model)], 5);
  await runs.createRun('run_c', 'c', REQUEST, [newTask('task_other', model, { agentId: 'agent-2' })], 1);
  await runs.createRun('run_d', 'd', REQUEST, [newTask('task_old', model)], 2);
  const queuedFor = async (agentId: string): Promise<TaskTable[]> => {
    let seen: TaskTable[] = [];
    await new DispatchRepository(db).leaseQueued([agentId], 50, 1, (queued) => {
      seen = queued;
      return Promise.resolve([]);
    });
    return seen;
  };
  const queue = await queuedFor('agent-1');
  // Byte order: 'task_B' < 'task_a' ('B' is 0x42, 'a' is 0x61), unlike a linguistic collation.
  assert.deepEqual(
    queue.map((t) => t.id),
    ['task_old', 'task_B', 'task_a', 'task_b2', 'task_mine'],
  );
  assert.equal(queue[0]?.agent_id, null);
  await leaseTask(db, 'task_old', 'agent-1', 100);
  const forAgent2 = (await queuedFor('agent-2')).map((t) => t.id);
  if (dialect === 'postgres') {
    // agent-2's own task predates every unbound one: the one-statement lease takes it, unasked.
    assert.deepEqual(forAgent2, []);
    assert.deepEqual(
      [(await runs.findTask('task_other'))?.state, (await runs.findTask('task_other'))?.agent_id],
      ['leased', 'agent-2'],
    );
  } else {
    assert.deepEqual(forAgent2, ['task_other', 'task_B', 'task_a', 'task_b2']);
  }
});

await forEachDialect('leases are renewed, expire, and expired tasks go back to the queue', async (db) => {
  const runs = new RunRepository(db);
  await seedRun(db, 'run_1', ['t1', 't2', 't3', 't4']);
  assert.ok(await leaseTask(db, 't1', 'agent-a', 1_000));
  assert.ok(await leaseTask(db, 't2', 'agent-a', 1_000));
  assert.ok(await leaseTask(db, 't3', 'agent-b', 1_000));
  await new DispatchRepository(db).markTaskRunning('t2', 1, 500, 1_500);
  await new DispatchRepository(db).markTaskRunning('t3', 2, 500, 9_999); // wrong attempt: nothing changes
  const t2 = await runs.findTask('t2');
  assert.deepEqual([t2?.state, t2?.started_at, t2?.lease_expires_at], ['running', 500, 1_500]);
  assert.equal((await runs.findTask('t3'))?.state, 'leased');

  // Only the agent's own active tasks are renewed.
  await runs.renewLeases('agent-a', ['t1', 't2', 't3', 't4'], 3_000);
  await runs.renewLeases('agent-a', [], 9_000);
  const leases = await Promise.all(
    ['t1', 't2', 't3', 't4'].map(async (id) => (await runs.findTask(id))?.lease_expires_at),
  );
  assert.deepEqual(leases, [3_000, 3_000, 1_000, null]);

  // Strictly before `now`; queued tasks (no lease) never expire.
  assert.deepEqual(await runs.expiredLeases(1_000), []);
  assert.deepEqual(
    (await runs.expiredLeases(1_001)).map((t) => t.id),
    ['t3'],
  );
  assert.deepEqual((await runs.expiredLeases(5_000)).map((t) => t.id).sort(), ['t1', 't2', 't3']);

  // Requeue: a new attempt; an any-one-agent run unbinds the task, a bound one keeps its agent.
  assert.ok(await runs.requeueTask('t3', 1, true));
  assert.equal(await runs.requeueTask('t3', 1, true), false, 'the old attempt cannot be requeued twice');
  assert.ok(await runs.requeueTask('t2', 1, false));
  const [r3, r2] = [await runs.findTask('t3'), await runs.findTask('t2')];
  assert.deepEqual([r3?.state, r3?.attempt, r3?.agent_id, r3?.lease_expires_at], ['queued', 2, null, null]);
  assert.deepEqual([r2?.state, r2?.attempt, r2?.agent_id], ['queued', 2, 'agent-a']);
  assert.equal(await runs.requeueTask('t4', 1, true), false, 'a queued task is not requeued');
});

await forEachDialect('finishing tasks and runs: final states never change', async (db) => {
  const runs = new RunRepository(db);
  await seedRun(db, 'run_1', ['t1', 't2', 't3']);
  assert.ok(await leaseTask(db, 't1', 'agent-a', 1_000));
  assert.ok(await runs.setRunState('run_1', 'running', 100));
  assert.ok(await new DispatchRepository(db).finishTask('t1', 'succeeded', 200, null));
  assert.equal(await new DispatchRepository(db).finishTask('t1', 'failed', 300, 'late'), undefined);
  // A NUL in an agent's error message: SQLite keeps it, PostgreSQL text cannot (U+FFFD instead).
  assert.ok(await new DispatchRepository(db).finishTask('t2', 'failed', 250, 'boom\u0000tail'));
  const t2 = await runs.findTask('t2');
  assert.ok(t2?.error === 'boom\u0000tail' || t2?.error === 'boom\ufffdtail', JSON.stringify(t2?.error));
  assert.deepEqual(
    (await runs.activeTasksOfRun('run_1')).map((t) => t.id),
    ['t3'],
  );
  const t1 = await runs.findTask('t1');
  assert.deepEqual(
    [t1?.state, t1?.finished_at, t1?.error, t1?.lease_expires_at],
    ['succeeded', 200, null, null],
  );

  // Cancelling: the remaining task and the run.
  await db.transaction().execute(async (trx) => {
    assert.ok(await new DispatchRepository(db).finishTask('t3', 'cancelled', 400, 'cancelled by user', trx));
  });
  assert.ok(await runs.setRunState('run_1', 'cancelled', 400));
  assert.equal(await runs.setRunState('run_1', 'succeeded', 500), false);
  const run = await runs.getRun('run_1');
  assert.equal(run?.state, RunState.RUN_STATE_CANCELLED);
  assert.equal(run?.finishedAtMs, '400');
  assert.equal(run?.tasksDone, 1);
  assert.equal(run?.tasksFailed, 1);
  const row = await runs.findRunRow('run_1');
  assert.deepEqual([row?.started_at, row?.finished_at], [100, 400]);
  assert.deepEqual(await runs.activeTasksOfRun('run_1'), []);
});

await forEachDialect('runs are listed newest first, a page at a time', async (db) => {
  const runs = new RunRepository(db);
  await seedArtifact(db, 'model');
  for (const [id, at] of [
    ['run_a', 30],
    ['run_c', 10],
    ['run_B', 30],
    ['run_d', 20],
    ['run_e', 30],
  ] as const) {
    await runs.createRun(id, id, REQUEST, [], at, {
      kind: 'adhoc',
      submittedBy: id === 'run_d' ? 'other' : 'me',
    });
  }
  // Equal created_at: the id decides (descending, byte order), the same on both dialects.
  assert.deepEqual(
    (await runs.listRuns(10)).map((r) => r.id),
    ['run_e', 'run_a', 'run_B', 'run_d', 'run_c'],
  );
  assert.deepEqual(
    (await runs.listRuns(2)).map((r) => r.id),
    ['run_e', 'run_a'],
  );
  assert.equal(await runs.countActiveRunsOf('me'), 4);
  assert.ok(await runs.setRunState('run_a', 'failed', 40));
  assert.equal(await runs.countActiveRunsOf('me'), 3);
  assert.equal(await runs.countActiveRunsOf('nobody'), 0);
  assert.deepEqual((await runs.unfinishedRunIds()).sort(), ['run_B', 'run_c', 'run_d', 'run_e']);
});

await forEachDialect(
  'a run of 5,000 tasks (a thousand agents, several variants) is stored whole',
  async (db) => {
    const runs = new RunRepository(db);
    const model = await seedArtifact(db, 'model');
    const tasks = Array.from({ length: 5_000 }, (_, i) =>
      newTask(`task_${i}`, model, { agentId: `agent_${i % 1000}` }),
    );
    await runs.createRun('run_big', 'big', REQUEST, tasks, 1_000);
    const rows = await runs.listTaskRows('run_big');
    assert.equal(rows.length, 5_000);
    assert.deepEqual(
      rows.map((r) => r.seq),
      tasks.map((_, i) => i),
      'seq runs on across the insert batches',
    );
    assert.equal(rows[4_999]!.id, 'task_4999');
  },
);

await forEachDialect('open runs whose tasks have all ended are found, to be settled', async (db) => {
  const runs = new RunRepository(db);
  await seedRun(db, 'run_open', ['o1', 'o2']);
  await seedRun(db, 'run_drained', ['d1', 'd2']);
  await seedRun(db, 'run_settled', ['s1']);
  await db.updateTable('tasks').set({ state: 'succeeded' }).where('id', 'in', ['o1', 'd1', 's1']).execute();
  await db.updateTable('tasks').set({ state: 'failed' }).where('id', '=', 'd2').execute();
  await db.updateTable('tasks').set({ state: 'running' }).where('id', '=', 'o2').execute();
  await runs.setRunState('run_drained', 'running', 20_000);
  await runs.setRunState('run_settled', 'succeeded', 20_000);
  assert.deepEqual(await runs.drainedOpenRunIds(), ['run_drained']);
});
