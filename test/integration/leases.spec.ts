import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { lastValueFrom } from 'rxjs';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { FAST_SCENARIO, TestFarm, waitFor } from '../support/test-farm.js';

// Leases: heartbeats keep a long task's lease alive; when its agent vanishes the lease expires and the task
// goes back to the queue with a new attempt number, to be finished by another agent.
const farm = await TestFarm.start([{ name: 'first' }], { leaseMs: 2_000, heartbeatIntervalMs: 400 });
const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');

await test('heartbeats renew the lease of a task that runs longer than the lease', async () => {
  const { run } = await farm.submit({
    models: [{ sha256: det.sha256, name: 'det.onnx' }],
    scenario: { ...FAST_SCENARIO, minDurationMs: 5_000, iterations: 1 },
  });
  const events = await farm.watch(run!.id);
  assert.equal(events.at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
  const { tasks } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  assert.equal(tasks[0]?.attempt, 1, 'a 5 s task under a 2 s lease was never re-queued');
});

await test('a vanished agent loses its lease; the task is re-queued and another agent finishes it', async () => {
  const { run } = await farm.submit({
    models: [{ sha256: det.sha256, name: 'det.onnx' }],
    target: { anyOneAgent: true },
    scenario: { ...FAST_SCENARIO, minDurationMs: 3_000, iterations: 1 },
  });
  const first = farm.agents[0]!;
  await waitFor(
    async () => {
      const { tasks } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
      return tasks[0]?.state === TaskState.TASK_STATE_RUNNING;
    },
    30_000,
    'the task to run on the first agent',
  );
  await first.close(); // gone: no heartbeat, no result
  const second = await farm.addAgent({ name: 'second' });
  const events = await farm.watch(run!.id);
  assert.equal(events.at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
  const { tasks, results } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  assert.equal(tasks[0]?.attempt, 2, 'the expired attempt was replaced by a new one');
  assert.equal(tasks[0]?.agentId, second.agentId);
  assert.equal(results.length, 1, 'one result, from the second attempt: nothing counted twice');
  assert.equal(results[0]?.attempt, 2);
  farm.agents.splice(farm.agents.indexOf(first), 1);
});

await farm.close();
