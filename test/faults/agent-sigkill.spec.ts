import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { pollUntil } from '../support/cli-process.js';
import { FaultFarm, isAlive, runnerChildrenOf } from '../support/fault-farm.js';

// Agents killed with SIGKILL in the middle of a task (real processes on loopback): an unbound task moves to
// another agent once its lease expires and is counted once; a task bound to the dead agent fails with the
// reason after the loss grace period instead of keeping its run open forever.
const farm = await FaultFarm.start({
  MLFARM_LEASE_MS: '3000',
  MLFARM_HEARTBEAT_MS: '500',
  MLFARM_AGENT_LOST_MS: '4000',
});
const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');
const LONG = { minDurationMs: 4_000, iterations: 1 };

await test('an agent SIGKILLed mid-task: the lease expires and another agent finishes it, once', async () => {
  await farm.addAgent('k-first');
  const runId = await farm.submit(det, 'unbound', LONG, { anyOneAgent: true });
  const running = await farm.waitForRunningTask(runId);
  const victim = farm.agentById(running.agentId);
  const runners = await pollUntil('the runner child of the victim', async () => {
    const pids = await runnerChildrenOf(victim.service.proc.pid!);
    return { value: pids.length > 0 ? pids : undefined, state: 'none yet' };
  });
  await farm.kill(victim, 'SIGKILL');
  const survivor = await farm.addAgent('k-second');

  const end = await farm.waitForRunEnd(runId);
  assert.equal(end.run!.state, RunState.RUN_STATE_SUCCEEDED, 'the run finished');
  const [task] = end.tasks;
  assert.equal(task!.state, TaskState.TASK_STATE_SUCCEEDED);
  assert.equal(task!.attempt, 2, 'the expired attempt was replaced by a new one');
  assert.equal(task!.agentId, survivor.id, 'the other agent finished it');
  assert.equal(end.results.length, 1, 'one result: nothing lost, nothing counted twice');
  assert.equal(end.results[0]!.attempt, 2);
  assert.equal(end.results[0]!.agentId, survivor.id);
  // The orphaned runner noticed its parent's death (IPC channel gone) and ended instead of burning CPU.
  await pollUntil('the orphaned runner child to exit', async () => {
    const alive = (await Promise.all(runners.map(isAlive))).some(Boolean);
    return { value: alive ? undefined : true, state: `runner ${runners.join(',')} still alive` };
  });
});

await test('a task bound to an agent that never comes back fails with the reason; the run ends', async () => {
  const doomed = await farm.addAgent('k-doomed');
  const runId = await farm.submit(det, 'bound', LONG); // one task per connected agent, each bound to it
  const before = await farm.getRun(runId);
  assert.equal(before.tasks.length, 2, 'one task per connected agent');
  await pollUntil('the doomed agent to run its task', async () => {
    const got = await farm.getRun(runId);
    const mine = got.tasks.find((t) => t.agentId === doomed.id);
    return {
      value: mine?.state === TaskState.TASK_STATE_RUNNING ? true : undefined,
      state: String(mine?.state),
    };
  });
  await farm.kill(doomed, 'SIGKILL');

  const end = await farm.waitForRunEnd(runId);
  assert.equal(end.run!.state, RunState.RUN_STATE_FAILED, 'the run ended instead of waiting forever');
  const lost = end.tasks.find((t) => t.agentId === doomed.id)!;
  assert.equal(lost.state, TaskState.TASK_STATE_FAILED);
  assert.match(lost.error, /agent k-doomed lost for \d+ s \(limit 4 s\)/);
  const other = end.tasks.find((t) => t.agentId !== doomed.id)!;
  assert.equal(other.state, TaskState.TASK_STATE_SUCCEEDED, 'the task of the live agent was unaffected');
  assert.deepEqual(
    end.results.map((r) => r.taskId),
    [other.id],
    'only the live agent stored a result',
  );
});

await farm.close();
