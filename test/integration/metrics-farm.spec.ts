import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { lastValueFrom } from 'rxjs';
import { RunState } from '#contracts';
import { bundledModelPath } from '#common';
import { METRIC } from '#metrics';
import { promtool, promtoolPath } from '../support/promtool.util.js';
import { scrape, sumOf } from '../support/prometheus-text.util.js';
import { FAST_SCENARIO, TestFarm, waitFor } from '../support/test-farm.js';

// The coordinator's /metrics against a real farm: live samples during a task, result gauges after it,
// farm health and gRPC server metrics, and the exposition passes `promtool check metrics`.
const farm = await TestFarm.start([{ name: 'metrics-agent', labels: ['tier=test'], threads: 1 }]);
const metricsUrl = `http://${farm.coordinator.httpAddress}/metrics`;
const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');

await test('farm health and the Connect stream are exported before any run', async () => {
  const samples = await scrape(metricsUrl);
  assert.equal(sumOf(samples, METRIC.agentsConnected), 1);
  assert.equal(sumOf(samples, METRIC.agentInfo, { agent: 'metrics-agent', labels: 'tier=test' }), 1);
  assert.equal(sumOf(samples, METRIC.agentConnections), 1);
  assert.equal(
    sumOf(samples, METRIC.grpcStarted, {
      grpc_type: 'bidi_stream',
      grpc_service: 'mlfarm.v1.AgentGatewayService',
      grpc_method: 'Connect',
    }),
    1,
  );
  assert.equal(sumOf(samples, METRIC.grpcHandled, { grpc_method: 'UploadModel', grpc_code: 'OK' }), 1);
});

await test('the latency histogram grows while the task runs, then holds every timed sample once', async () => {
  const { run } = await farm.submit({
    models: [{ sha256: det.sha256, name: 'det.onnx' }],
    scenario: { ...FAST_SCENARIO, iterations: 5, minDurationMs: 3000 },
  });
  const count = async (): Promise<number> =>
    sumOf(await scrape(metricsUrl), `${METRIC.inferenceLatency}_count`, { model: 'det.onnx' });
  let liveCount = 0;
  await waitFor(
    async () => {
      liveCount = await count();
      return liveCount > 0;
    },
    60_000,
    'live latency samples',
  );
  const { run: during } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  assert.equal(during?.state, RunState.RUN_STATE_RUNNING, 'samples arrived before the run ended');

  const events = await farm.watch(run!.id);
  assert.equal(events.at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
  const { results } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  const samplesMs = results[0]!.measurement!.samplesMs;
  assert.ok(samplesMs.length > liveCount, 'progress carries only some samples; the result adds the rest');
  assert.equal(await count(), samplesMs.length, 'each timed iteration observed exactly once');

  const samples = await scrape(metricsUrl);
  const labels = { model: 'det.onnx', variant: 'original', agent: 'metrics-agent', ep: 'cpu' };
  const median = sumOf(samples, METRIC.resultLatency, { ...labels, stat: 'median' });
  assert.ok(Math.abs(median - results[0]!.measurement!.latency!.median / 1000) < 1e-9);
  assert.ok(sumOf(samples, METRIC.modelLoad, labels) > 0);
  assert.ok(sumOf(samples, METRIC.peakMemory, { ...labels, kind: 'rss' }) > 0);
  assert.equal(sumOf(samples, METRIC.modelSize, { model: 'det.onnx' }), Number(det.sizeBytes));
  assert.ok(sumOf(samples, METRIC.opLatency, { ...labels, op_type: 'Conv' }) > 0);
  assert.ok(sumOf(samples, METRIC.opNodes, { ...labels, provider: 'CPUExecutionProvider' }) > 50);
  assert.equal(sumOf(samples, METRIC.tasksFinished, { status: 'succeeded' }), 1);
  assert.equal(sumOf(samples, METRIC.tasksInState, { status: 'succeeded' }), 1);
  assert.ok(!samples.some((s) => 'run_id' in s.labels || 'node' in s.labels), 'no run ids or node names');
});

await test('a failed RPC is counted with its status name', async () => {
  await assert.rejects(lastValueFrom(farm.client.coordinator.getRun({ runId: 'no-such-run' })));
  const samples = await scrape(metricsUrl);
  assert.equal(sumOf(samples, METRIC.grpcHandled, { grpc_method: 'GetRun', grpc_code: 'NOT_FOUND' }), 1);
  assert.ok(sumOf(samples, `${METRIC.grpcHandling}_count`, { grpc_method: 'GetRun' }) >= 1);
});

await test(
  'the exposition passes promtool check metrics',
  { skip: !promtoolPath() && 'promtool not installed' },
  async () => {
    const text = await (await fetch(metricsUrl)).text();
    const { status, output } = promtool(['check', 'metrics'], text);
    assert.equal(status, 0, output);
  },
);

await farm.close();
