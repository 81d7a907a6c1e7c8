import assert from 'node:assert/strict';
import { ResultRepository } from '../../apps/coordinator/store/result.repository.js';
import { RunRepository } from '../../apps/coordinator/store/run.repository.js';
import { forEachDialect } from '../support/store-dialects.js';
import { sampleResult, seedRun } from './store-fixtures.js';

// Results are idempotent per (task, attempt), keep their per-node rows in order and their numbers exact.

await forEachDialect('a result is stored once per (task, attempt), with its ops', async (db) => {
  const results = new ResultRepository(db);
  await seedRun(db, 'run_1', ['t1']);
  const first = sampleResult('t1', 1, 250); // more ops than one insert slice
  assert.equal(await results.store(first, 1_000), true);
  assert.equal(await results.store({ ...first, agentId: 'agent-b' }, 2_000), false, 're-sent: ignored');
  const [stored, ...rest] = await results.findForTask('t1');
  assert.equal(rest.length, 0);
  assert.deepEqual(stored, { ...first, model: {} }, 'every field, every float, every op in order');
  assert.equal(stored?.measurement?.ops.length, 250);
  assert.equal(stored?.measurement?.ops[0]?.node, 'node_250', 'ops keep insertion order, not node order');
  assert.equal(stored?.measurement?.peakRssBytes, '8589934592');

  // Another attempt of the same task is a new result.
  const second = sampleResult('t1', 2, 0);
  second.measurement!.fidelity = {
    cosine: 0.999999123,
    snrDb: 41.5,
    psnrDb: 60.25,
    maxAbsError: 1e-7,
    top1Agreement: 1,
    outputs: [],
    reference: 'original@1.30.0',
  };
  assert.equal(await results.store(second, 3_000), true);
  assert.deepEqual(
    (await results.findForTask('t1')).map((r) => [r.attempt, r.measurement?.ops.length]),
    [
      [1, 250],
      [2, 0],
    ],
  );
  assert.deepEqual((await results.findForTask('t1'))[1]?.measurement?.fidelity, second.measurement!.fidelity);
  assert.deepEqual(await results.findForTask('t_missing'), []);
  await assert.rejects(results.store({ ...first, measurement: undefined }, 1), /without measurement/);
});

await forEachDialect('racing deliveries of one result store it once', async (db) => {
  const results = new ResultRepository(db);
  await seedRun(db, 'run_1', ['t1']);
  const outcomes = await Promise.all(
    Array.from({ length: 6 }, () => results.store(sampleResult('t1', 1, 120), 1)),
  );
  assert.equal(outcomes.filter(Boolean).length, 1);
  const [stored] = await results.findForTask('t1');
  assert.equal(stored?.measurement?.ops.length, 120, 'the ops of one delivery only');
});

await forEachDialect('results of a run are listed in task order, then by attempt', async (db) => {
  const results = new ResultRepository(db);
  const runs = new RunRepository(db);
  await seedRun(db, 'run_1', ['t_z', 't_a', 't_m']);
  await seedRun(db, 'run_2', ['other']);
  await results.store(sampleResult('t_m', 2), 1);
  await results.store(sampleResult('t_a', 1), 2);
  await results.store(sampleResult('t_m', 1), 3);
  await results.store(sampleResult('other', 1), 4);
  await results.store(sampleResult('t_z', 3), 5);
  assert.deepEqual(
    (await results.listForRun('run_1')).map((r) => `${r.taskId}#${r.attempt}`),
    ['t_z#3', 't_a#1', 't_m#1', 't_m#2'],
  );
  assert.equal((await runs.listTasks('run_1')).length, 3);
  assert.deepEqual(await results.listForRun('run_none'), []);
});

await forEachDialect(
  'per-node rows travel as JSON (a NUL in a node name too); results stored before read from result_ops',
  async (db) => {
    const results = new ResultRepository(db);
    await seedRun(db, 'run_1', ['t_new', 't_old']);
    const fresh = sampleResult('t_new', 1, 3);
    fresh.measurement!.ops[1]!.node = 'odd\u0000name';
    assert.equal(await results.store(fresh, 1_000), true);
    assert.equal(
      (await db.selectFrom('result_ops').selectAll().execute()).length,
      0,
      'no per-node rows any more',
    );
    const [back] = await results.findForTask('t_new');
    assert.deepEqual(back?.measurement?.ops, fresh.measurement!.ops);

    // A result as the previous schema stored it: ops_json null, its nodes in result_ops.
    const old = sampleResult('t_old', 1, 2);
    await results.store({ ...old, measurement: { ...old.measurement!, ops: [] } }, 2_000);
    await db.updateTable('results').set({ ops_json: null }).where('task_id', '=', 't_old').execute();
    await db
      .insertInto('result_ops')
      .values(
        old.measurement!.ops.map((op) => ({
          task_id: 't_old',
          attempt: 1,
          node: op.node,
          op_type: op.opType,
          provider: op.provider,
          median_ms: op.medianMs,
          share: op.share,
        })),
      )
      .execute();
    const [legacy] = await results.findForTask('t_old');
    assert.deepEqual(legacy?.measurement?.ops, old.measurement!.ops);
  },
);
