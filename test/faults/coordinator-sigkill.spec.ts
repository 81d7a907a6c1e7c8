import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { lastValueFrom } from 'rxjs';
import { RunState } from '#contracts';
import { bundledModelPath } from '#common';
import SQLite from 'better-sqlite3';
import { pollUntil } from '../support/cli-process.js';
import { FaultFarm } from '../support/fault-farm.js';

// The coordinator killed with SIGKILL in the middle of a run, restarted on the same data folder: the runs
// continue, the agents reconnect, and every result stored before the kill is intact.
const farm = await FaultFarm.start({ MLFARM_LEASE_MS: '4000', MLFARM_HEARTBEAT_MS: '500' });
await farm.addAgent('c-one');
await farm.addAgent('c-two');
const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');

await test('coordinator SIGKILLed mid-run: runs continue after the restart, stored results intact', async () => {
  const done = await farm.waitForRunEnd(await farm.submit(det, 'before-kill'));
  assert.equal(done.run!.state, RunState.RUN_STATE_SUCCEEDED);
  assert.equal(done.results.length, 2);

  // A run whose last task ended, but whose coordinator died before settling it: as it is stored then.
  const unsettled = (await farm.waitForRunEnd(await farm.submit(det, 'unsettled'))).run!.id;
  const file = new SQLite(join(farm.dir, 'coordinator', 'mlfarm.sqlite'), { timeout: 5_000 });
  file.prepare(`UPDATE runs SET state = 'running', finished_at = NULL WHERE id = ?`).run(unsettled);
  file.close();

  const midRun = await farm.submit(det, 'mid-run', { minDurationMs: 4_000, iterations: 1 });
  const queued = await farm.submit(det, 'queued-behind');
  await farm.waitForRunningTask(midRun);

  await farm.killAndRestartCoordinator();
  const settled = await farm.waitForRunEnd(unsettled);
  assert.equal(settled.run!.state, RunState.RUN_STATE_SUCCEEDED, 'the restarted coordinator settles it');

  const again = await farm.getRun(done.run!.id);
  assert.equal(again.run!.state, RunState.RUN_STATE_SUCCEEDED);
  assert.deepEqual(again.results, done.results, 'results stored before the kill are unchanged');
  assert.deepEqual(again.tasks, done.tasks, 'its tasks are unchanged');

  await pollUntil('both agents to reconnect', async () => {
    const { agents } = await lastValueFrom(farm.client.coordinator.listAgents({}));
    const connected = agents.filter((a) => a.connected).length;
    return { value: connected === 2 ? true : undefined, state: `${connected} connected` };
  });
  for (const runId of [midRun, queued]) {
    const end = await farm.waitForRunEnd(runId);
    assert.equal(end.run!.state, RunState.RUN_STATE_SUCCEEDED, `run ${runId} finished after the restart`);
    assert.equal(end.results.length, 2, 'one result per task');
    assert.deepEqual(
      end.results.map((r) => r.taskId).sort(),
      end.tasks.map((t) => t.id).sort(),
      'each task counted exactly once',
    );
    for (const task of end.tasks) {
      // A lease may expire while the coordinator is down (attempt 2 queued); the agent that kept measuring
      // still reports attempt 1, which is accepted and ends the task: one result either way.
      assert.ok(end.results.find((r) => r.taskId === task.id)!.attempt <= task.attempt);
    }
  }
});

await farm.close();
