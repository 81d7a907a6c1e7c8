import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { TaskResult } from '#contracts';
import { METRIC, type ResultLabels, SeenIndexes, createCoordinatorMetrics } from '#metrics';
import { ResultMetricsRecorder } from './result-metrics.recorder.js';

function setup() {
  const registry = new Registry();
  const metrics = createCoordinatorMetrics(registry, {
    agents: () => [],
    taskCounts: () => Promise.resolve({}),
  });
  return { registry, recorder: new ResultMetricsRecorder(metrics) };
}

function labels(agent: string): ResultLabels {
  return { model: 'det.onnx', variant: 'original', agent, ep: 'cpu', runtime: '1.30.0' };
}

function result(medianMs: number, ops: { opType: string; medianMs: number }[]): TaskResult {
  return {
    measurement: {
      samplesMs: [medianMs, medianMs],
      latency: {
        median: medianMs,
        p90: medianMs,
        p99: medianMs,
        mean: medianMs,
        min: medianMs,
        max: medianMs,
      },
      loadMs: 10,
      firstRunMs: 5,
      peakRssBytes: '1000',
      arenaPeakBytes: '0',
      ops: ops.map((o) => ({ ...o, provider: 'CPUExecutionProvider' })),
    },
  } as unknown as TaskResult;
}

/** Value of one series of a family in the exposition, or undefined. */
function valueOf(text: string, name: string, has: string[]): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && has.every((h) => l.includes(h)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

await test('last-result gauges show the latest result of each series when scraped; counts are not deferred', async () => {
  const { registry, recorder } = setup();
  recorder.record(
    labels('a'),
    result(4, [
      { opType: 'Conv', medianMs: 2 },
      { opType: 'Relu', medianMs: 1 },
    ]),
    new SeenIndexes(),
    1000,
  );
  recorder.record(labels('a'), result(8, [{ opType: 'Conv', medianMs: 3 }]), new SeenIndexes(), 2000);
  let text = await registry.metrics();
  assert.equal(valueOf(text, METRIC.resultLatency, ['agent="a"', 'stat="median"']), 0.008);
  assert.equal(valueOf(text, METRIC.opLatency, ['agent="a"', 'op_type="Conv"']), 0.003);
  assert.equal(
    valueOf(text, METRIC.opLatency, ['agent="a"', 'op_type="Relu"']),
    undefined,
    'the older result only',
  );
  assert.equal(valueOf(text, METRIC.results, ['agent="a"']), 2, 'each result counted');
  assert.equal(valueOf(text, `${METRIC.inferenceLatency}_count`, ['agent="a"']), 4, 'each sample observed');
  assert.equal(valueOf(text, METRIC.resultTimestamp, ['agent="a"']), 2);

  // A later result that lacks an op type removes that series at the next scrape.
  recorder.record(labels('a'), result(6, [{ opType: 'Relu', medianMs: 1 }]), new SeenIndexes(), 3000);
  text = await registry.metrics();
  assert.equal(valueOf(text, METRIC.opLatency, ['agent="a"', 'op_type="Conv"']), undefined);
  assert.equal(valueOf(text, METRIC.opLatency, ['agent="a"', 'op_type="Relu"']), 0.001);
});

await test('a scrape brings every pending series up to date, over several slices, and reading one family is enough', async () => {
  const { registry, recorder } = setup();
  for (let i = 0; i < 450; i++) {
    recorder.record(
      labels(`agent-${i}`),
      result(i + 1, [{ opType: 'Conv', medianMs: 1 }]),
      new SeenIndexes(),
      1000,
    );
  }
  const single = await registry.getSingleMetricAsString(METRIC.opLatency);
  assert.equal(single.split('\n').filter((l) => l.startsWith(`${METRIC.opLatency}{`)).length, 450);
  const text = await registry.metrics();
  assert.equal(valueOf(text, METRIC.resultLatency, ['agent="agent-449"', 'stat="median"']), 0.45);
  assert.equal(text.split('\n').filter((l) => l.startsWith(`${METRIC.modelLoad}{`)).length, 450);
});
