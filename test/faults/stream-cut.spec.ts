import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { pollUntil } from '../support/cli-process.js';
import { FaultFarm, describe } from '../support/fault-farm.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// The agent's stream cut in the middle by a TCP proxy on 127.0.0.1: the agent reconnects, re-sends what was
// not acknowledged, and the coordinator stores each (task, attempt) once.
const farm = await FaultFarm.start({ MLFARM_LEASE_MS: '10000', MLFARM_HEARTBEAT_MS: '500' });
const proxy = await TcpProxy.start(farm.grpcAddress);
const agent = await farm.addAgent('cut', [], proxy.address);
const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');

await test('cut while a task runs: the agent reconnects and its result arrives once, same attempt', async () => {
  const runId = await farm.submit(det, 'cut-running', { minDurationMs: 3_000, iterations: 1 });
  await farm.waitForRunningTask(runId);
  const before = proxy.connections;
  proxy.cutAll();
  await pollUntil('the agent to reconnect through the proxy', () =>
    Promise.resolve({
      value: proxy.connections > before ? true : undefined,
      state: `${proxy.connections} connection(s)`,
    }),
  );
  const end = await farm.waitForRunEnd(runId);
  assert.equal(end.run!.state, RunState.RUN_STATE_SUCCEEDED, describe(end));
  assert.equal(end.tasks[0]!.attempt, 1, 'a quick reconnect keeps the lease: no second attempt');
  assert.equal(end.results.length, 1);
  assert.equal(end.results[0]!.agentId, agent.id);
});

await test('the ack is lost and the stream cut: the result is sent again and stored once', async () => {
  // A long warm-up keeps the task running past the stall, with small messages only: a stalled downstream
  // also stops HTTP/2 window updates, so the agent may send no more than one flow-control window (64 KiB)
  // upstream; timed samples and the per-node profile would not fit, so there are few and none.
  // The model must already sit in the agent's cache: its download also travels downstream and would stall.
  const warm = await farm.waitForRunEnd(await farm.submit(det, 'warm-cache'));
  assert.equal(warm.run!.state, RunState.RUN_STATE_SUCCEEDED);
  const runId = await farm.submit(det, 'cut-ack', {
    warmupIterations: 1_500,
    iterations: 10,
    skipProfile: true,
  });
  await farm.waitForRunningTask(runId);
  proxy.stallDownstream(); // the result still reaches the coordinator; its ack never reaches the agent
  const stored = await farm.waitForRunEnd(runId);
  assert.equal(stored.run!.state, RunState.RUN_STATE_SUCCEEDED);
  const firstResult = stored.results[0]!;
  proxy.cutAll();

  await pollUntil('the agent to re-send its unacknowledged result', () =>
    Promise.resolve({
      value: /re-sending 1 unacknowledged report\(s\)/.test(agent.service.stdoutSoFar()) ? true : undefined,
      state: agent.service.stdoutSoFar().slice(-2000),
    }),
  );
  await pollUntil('the coordinator to acknowledge the duplicate without storing it', () =>
    Promise.resolve({
      value: /task already succeeded; acknowledged again, not stored/.test(farm.coordinator.stdoutSoFar())
        ? true
        : undefined,
      state: farm.coordinator.stdoutSoFar().slice(-2000),
    }),
  );
  const after = await farm.getRun(runId);
  assert.equal(after.tasks[0]!.state, TaskState.TASK_STATE_SUCCEEDED);
  assert.equal(after.results.length, 1, 'idempotent per (task, attempt): stored once');
  assert.deepEqual(after.results[0], firstResult, 'the stored result is the first one, unchanged');

  // The link is healthy again: a new task runs over the re-established stream.
  const next = await farm.waitForRunEnd(await farm.submit(det, 'after-cut'));
  assert.equal(next.run!.state, RunState.RUN_STATE_SUCCEEDED);
});

await proxy.close();
await farm.close();
