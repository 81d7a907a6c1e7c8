import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { lastValueFrom } from 'rxjs';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { pollUntil } from '../support/cli-process.js';
import { FaultFarm, isAlive, runnerChildrenOf } from '../support/fault-farm.js';

// Per-task deadlines (scenario timeout_ms) and CancelRun, against real agent processes.
const farm = await FaultFarm.start({ MLFARM_LEASE_MS: '5000', MLFARM_HEARTBEAT_MS: '500' });
const agent = await farm.addAgent('deadline');
const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');
const agentPid = agent.service.proc.pid!;

async function runnerOf(runId: string): Promise<number> {
  await farm.waitForRunningTask(runId);
  const [pid] = await pollUntil('the runner child', async () => {
    const pids = await runnerChildrenOf(agentPid);
    return { value: pids.length > 0 ? pids : undefined, state: 'no runner yet' };
  });
  return pid!;
}

await test('a task over its timeout_ms is killed and fails with TIMEOUT', async () => {
  const runId = await farm.submit(det, 'too-slow', {
    minDurationMs: 120_000,
    iterations: 1,
    timeoutMs: 4_000,
  });
  const runner = await runnerOf(runId);
  const end = await farm.waitForRunEnd(runId, 60_000);
  assert.equal(end.run!.state, RunState.RUN_STATE_FAILED);
  assert.match(end.tasks[0]!.error, /^TIMEOUT: runner exceeded 4000 ms and was killed/);
  assert.equal(await isAlive(runner), false, 'the runner is gone');
});

await test('CancelRun stops the running task on its agent within seconds; the agent takes the next', async () => {
  const runId = await farm.submit(det, 'cancelled', { minDurationMs: 120_000, iterations: 1 });
  const runner = await runnerOf(runId);
  const { run } = await lastValueFrom(farm.client.coordinator.cancelRun({ runId }));
  assert.equal(run!.state, RunState.RUN_STATE_CANCELLED);
  // Generous: "seconds", on a loaded 2-core machine; the task itself would have run for two minutes.
  await pollUntil(
    'the runner child to be killed',
    async () => ({ value: (await isAlive(runner)) ? undefined : true, state: `runner ${runner} alive` }),
    20_000,
  );
  const after = await farm.getRun(runId);
  assert.equal(after.tasks[0]!.state, TaskState.TASK_STATE_CANCELLED);
  assert.equal(after.results.length, 0);
  const next = await farm.waitForRunEnd(await farm.submit(det, 'next'));
  assert.equal(next.run!.state, RunState.RUN_STATE_SUCCEEDED, 'the agent is free again');
});

await farm.close();
