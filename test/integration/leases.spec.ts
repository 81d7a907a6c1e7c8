import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { lastValueFrom } from 'rxjs';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { QuickAgent, allSucceeded } from '../support/quick-agent.js';
import { rawClients } from '../support/raw-grpc.js';
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

// An agent is busy until it says otherwise (AgentGatewayService, SchedulerService.onHeartbeat): a lease
// that runs out does not free the agent still connected, and a heartbeat that stops naming the task does.
/**
 * A farm of its own with one protocol-speaking agent that reports only when told (QuickAgent), and two
 * runs of one task each bound to it, submitted.
 */
async function withOneManualAgent(
  overrides: { leaseMs: number; heartbeatIntervalMs: number },
  body: (farm: TestFarm, agent: QuickAgent, runIds: string[]) => Promise<void>,
): Promise<void> {
  const own = await TestFarm.start([], overrides);
  const clients = rawClients(own.coordinator.grpcAddress);
  const agent = new QuickAgent(clients, 'manual-0', false);
  try {
    await own.waitForAgents(1);
    const model = await own.upload(await readFile(bundledModelPath('det')), 'det.onnx');
    const runIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      runIds.push((await own.submit({ models: [{ sha256: model.sha256, name: 'det.onnx' }] })).run!.id);
    }
    await body(own, agent, runIds);
  } finally {
    agent.close();
    clients.close();
    await own.close();
  }
}

await test('a lease that runs out while its agent still runs the task hands that agent no second task', async () =>
  // The agent sends no heartbeat (nothing renews its lease) but stays connected, still running its first task.
  withOneManualAgent({ leaseMs: 1_000, heartbeatIntervalMs: 200 }, async (own, agent, runIds) => {
    const first = await agent.assignment(0, 10_000);
    await waitFor(
      async () => {
        const { tasks } = await lastValueFrom(own.client.coordinator.getRun({ runId: first.runId }));
        return tasks[0]?.attempt === 2;
      },
      10_000,
      'the first lease to expire and its task to be re-queued',
    );
    // Sweeps run at once after a re-queue; give a wrong one time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(agent.overlaps, [], 'no task handed to the agent while it ran one');
    // From here on it reports every task (the re-queued attempt may come back to it before its late
    // result ends the task).
    agent.reportFromNowOn();
    await allSucceeded(own, runIds, 30_000, 'both runs to succeed');
    const { results } = await lastValueFrom(own.client.coordinator.getRun({ runId: first.runId }));
    assert.deepEqual(
      results.map((r) => r.attempt),
      [1],
      'the late result of the expired attempt is the one stored',
    );
    assert.deepEqual(agent.overlaps, []);
  }));

await test('an agent whose heartbeat no longer names its task is free for the next one', async () =>
  // A lease far longer than the test: only the heartbeat can free the agent in time.
  withOneManualAgent({ leaseMs: 60_000, heartbeatIntervalMs: 200 }, async (_farm, agent) => {
    const first = await agent.assignment(0, 10_000);
    // Within the heartbeat interval after the assignment a heartbeat may predate it: ignored.
    agent.heartbeat([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(agent.assigned.length, 1, 'a heartbeat sent before the assignment arrived frees nothing');
    await new Promise((resolve) => setTimeout(resolve, 300));
    agent.drop();
    const second = await agent.assignment(1, 5_000);
    assert.notEqual(second.taskId, first.taskId);
    assert.deepEqual(agent.overlaps, []);
  }));
