import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { lastValueFrom } from 'rxjs';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { FloodAgent } from '../support/flood-agent.js';
import { FaultFarm } from '../support/fault-farm.js';
import { liveWatcher, rawClients, stalledWatcher } from '../support/raw-grpc.js';
import { collect } from '../support/test-farm.js';

// Backpressure: a WatchRun client that stops reading while an agent floods the run with reports gets
// RESOURCE_EXHAUSTED (the coordinator does not queue for it without bound); re-watching yields a correct
// snapshot. Memory under the flood is measured by scripts/bench-flood.ts, not asserted here.
const farm = await FaultFarm.start({ MLFARM_LEASE_MS: '60000', MLFARM_HEARTBEAT_MS: '5000' });
const clients = rawClients(farm.grpcAddress);

await test('a stalled watcher is ended with RESOURCE_EXHAUSTED; a re-watch gets the full, correct state', async () => {
  const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');
  const agent = new FloodAgent(clients, 'flood-test-agent');
  for (;;) {
    const { agents } = await lastValueFrom(farm.client.coordinator.listAgents({}));
    if (agents.some((a) => a.id === agent.agentId && a.connected)) {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const runId = await farm.submit(det, 'flooded');
  const task = await agent.nextAssignment();
  const stalled = stalledWatcher(clients, runId);
  const live = liveWatcher(clients, runId);

  // 1000 repeated 'started' reports are 1000 task events: far more than a watcher may fall behind by.
  const counts = await agent.flood(task, 10_000, 64);
  assert.ok(counts.acked, 'the result was stored and acknowledged despite the flood');

  const outcome = await stalled.resume();
  assert.equal(outcome.code, 8, `RESOURCE_EXHAUSTED, got ${outcome.code} ${outcome.details}`);
  assert.equal(outcome.details, 'watcher too slow; re-watch to get a fresh snapshot');
  const liveOutcome = await live;
  assert.ok(
    [0, 8].includes(liveOutcome.code),
    `the live watcher ended cleanly or was told it was slow: ${liveOutcome.details}`,
  );

  const again = await collect(farm.client.coordinator.watchRun({ runId }));
  const last = again.at(-1)?.run;
  assert.equal(last?.state, RunState.RUN_STATE_SUCCEEDED, 're-watch ends with the finished run');
  assert.deepEqual(
    again.filter((e) => e.task).map((e) => [e.task!.id, e.task!.state]),
    [[task.taskId, TaskState.TASK_STATE_SUCCEEDED]],
    'the snapshot has the task in its final state',
  );
  assert.equal(again.filter((e) => e.result).length, 1, 'and its one result');

  const metrics = await (await fetch(farm.metricsUrl)).text();
  assert.match(metrics, /mlfarm_slow_consumer_streams_total\{stream="watch_run"\} [1-9]/);
  assert.match(
    metrics,
    /mlfarm_stream_messages_dropped_total\{stream="watch_run",reason="coalesced"\} [1-9]/,
  );
  agent.close();
});

clients.close();
await farm.close();
