import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { pollUntil } from '../support/cli-process.js';
import { FaultFarm, runnerChildrenOf } from '../support/fault-farm.js';
import { memoryHogModel } from '../support/hostile-models.js';

// A runner child that runs out of memory or dies of a native signal fails its task with the reason; the
// agent process stays up and takes the next task.
const farm = await FaultFarm.start({ MLFARM_LEASE_MS: '5000', MLFARM_HEARTBEAT_MS: '500' });
const agent = await farm.addAgent('crashy', ['--task-memory-mib', '768']);
const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');
const agentPid = agent.service.proc.pid!;

async function assertAgentStillWorks(): Promise<void> {
  assert.equal(agent.service.proc.exitCode, null, 'the agent process is still running');
  const next = await farm.waitForRunEnd(await farm.submit(det, 'next'));
  assert.equal(next.run!.state, RunState.RUN_STATE_SUCCEEDED, 'the agent took the next task');
  assert.equal(next.results[0]!.agentId, agent.id);
}

await test('a model that exhausts memory fails with OUT_OF_MEMORY under the agent memory limit', async () => {
  // 4 GiB written by one Expand at the first run, far over the 768 MiB limit.
  const hog = await farm.upload(memoryHogModel(), 'memory-hog.onnx');
  const end = await farm.waitForRunEnd(await farm.submit(hog, 'hog', { shapes: [], skipProfile: true }));
  assert.equal(end.run!.state, RunState.RUN_STATE_FAILED);
  assert.equal(end.tasks[0]!.state, TaskState.TASK_STATE_FAILED);
  assert.match(end.tasks[0]!.error, /^OUT_OF_MEMORY: out of memory: .*limit .*768 MiB/s);
  assert.equal(end.results.length, 0);
  await assertAgentStillWorks();
});

for (const signal of ['SIGSEGV', 'SIGABRT'] as const) {
  await test(`a runner child that dies of ${signal} fails its task with the signal; the agent goes on`, async () => {
    const runId = await farm.submit(det, signal, { minDurationMs: 30_000, iterations: 1 });
    await farm.waitForRunningTask(runId);
    const [runner] = await pollUntil('the runner child', async () => {
      const pids = await runnerChildrenOf(agentPid);
      return { value: pids.length > 0 ? pids : undefined, state: 'no runner yet' };
    });
    process.kill(runner!, signal); // what a native crash in ONNX Runtime looks like from the outside
    const end = await farm.waitForRunEnd(runId);
    assert.equal(end.run!.state, RunState.RUN_STATE_FAILED);
    assert.match(end.tasks[0]!.error, new RegExp(`^RUNNER_CRASHED: runner exited with signal ${signal}`));
    await assertAgentStillWorks();
  });
}

await farm.close();
