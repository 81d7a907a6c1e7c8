import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { TaskResult } from '#contracts';
import { METRIC, type ResultLabels, SeenIndexes, createCoordinatorMetrics, renderExposition } from '#metrics';
import { ResultMetricsRecorder } from './result-metrics.recorder.js';

function setup() {
  const registry = new Registry();
  const metrics = createCoordinatorMetrics(registry, {
    agents: () => [],
    taskCounts: () => Promise.resolve({}),
  });
  return { registry, metrics, recorder: new ResultMetricsRecorder(metrics) };
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

  // A later result that lacks an op type removes that series.
  recorder.record(labels('a'), result(6, [{ opType: 'Relu', medianMs: 1 }]), new SeenIndexes(), 3000);
  text = await registry.metrics();
  assert.equal(valueOf(text, METRIC.opLatency, ['agent="a"', 'op_type="Conv"']), undefined);
  assert.equal(valueOf(text, METRIC.opLatency, ['agent="a"', 'op_type="Relu"']), 0.001);
});

await test('a scrape shows every series recorded, reading one family too', async () => {
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

/** Lines of one family's series in the exposition. */
function seriesOf(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

await test('a result is in the gauges as soon as it is recorded, with no hook before the read', async () => {
  const { registry, metrics, recorder } = setup();
  assert.equal('onScrape' in metrics, false);
  const full = result(4, [{ opType: 'Conv', medianMs: 2 }]) as unknown as {
    measurement: Record<string, unknown>;
    model?: unknown;
  };
  full.measurement.fidelity = { cosine: 0.99, snrDb: 40, top1Agreement: 1 };
  full.model = { sizeBytes: '2048', gzipSizeBytes: '1024' };
  recorder.record(labels('a'), full as unknown as TaskResult, new SeenIndexes(), 5000);
  // The family's own value, read without a scrape's hooks.
  const load = await metrics.modelLoad.get();
  assert.deepEqual(
    load.values.map((v) => v.value),
    [0.01],
  );
  const text = await renderExposition(registry);
  assert.equal(await registry.metrics(), text);
  assert.equal(valueOf(text, METRIC.resultLatency, ['agent="a"', 'stat="p99"']), 0.004);
  assert.equal(valueOf(text, METRIC.firstRun, ['agent="a"']), 0.005);
  assert.equal(valueOf(text, METRIC.resultTimestamp, ['agent="a"']), 5);
  assert.deepEqual(seriesOf(text, METRIC.peakMemory), [
    `${METRIC.peakMemory}{model="det.onnx",variant="original",agent="a",ep="cpu",runtime="1.30.0",kind="rss"} 1000`,
  ]);
  assert.equal(valueOf(text, METRIC.fidelity, ['metric="cosine"']), 0.99);
  assert.equal(valueOf(text, METRIC.fidelity, ['metric="top1_agreement"']), 1);
  assert.equal(valueOf(text, METRIC.fidelity, ['metric="top5_agreement"']), undefined, 'not in the result');
  assert.equal(valueOf(text, METRIC.snr, ['agent="a"']), 40);
  assert.deepEqual(seriesOf(text, METRIC.modelSize), [
    `${METRIC.modelSize}{model="det.onnx",variant="original"} 2048`,
  ]);
  assert.equal(valueOf(text, METRIC.modelGzipSize, ['variant="original"']), 1024);
  assert.equal(valueOf(text, METRIC.opNodes, ['op_type="Conv"']), 1);
});

await test('an op type missing from a later result leaves the text, and comes back with a result that has it', async () => {
  const { registry, recorder } = setup();
  const conv = ['agent="a"', 'op_type="Conv"'];
  recorder.record(
    labels('a'),
    result(4, [
      { opType: 'Conv', medianMs: 2 },
      { opType: 'Conv', medianMs: 1 },
      { opType: 'Relu', medianMs: 1 },
    ]),
    new SeenIndexes(),
    1000,
  );
  recorder.record(labels('b'), result(4, [{ opType: 'Conv', medianMs: 5 }]), new SeenIndexes(), 1000);
  let text = await registry.metrics();
  assert.equal(valueOf(text, METRIC.opLatency, conv), 0.003);
  assert.equal(valueOf(text, METRIC.opNodes, conv), 2);

  recorder.record(labels('a'), result(4, [{ opType: 'Relu', medianMs: 2 }]), new SeenIndexes(), 2000);
  text = await registry.metrics();
  assert.equal(valueOf(text, METRIC.opLatency, conv), undefined);
  assert.equal(valueOf(text, METRIC.opNodes, conv), undefined);
  assert.equal(valueOf(text, METRIC.opLatency, ['agent="a"', 'op_type="Relu"']), 0.002);
  assert.equal(
    valueOf(text, METRIC.opLatency, ['agent="b"', 'op_type="Conv"']),
    0.005,
    "another series' op stays",
  );

  recorder.record(labels('a'), result(4, [{ opType: 'Conv', medianMs: 7 }]), new SeenIndexes(), 3000);
  text = await registry.metrics();
  assert.equal(valueOf(text, METRIC.opLatency, conv), 0.007);
  assert.equal(valueOf(text, METRIC.opNodes, conv), 1);
  assert.equal(valueOf(text, METRIC.opLatency, ['agent="a"', 'op_type="Relu"']), undefined);
  assert.equal(seriesOf(text, METRIC.opLatency).length, 2);
  assert.equal(await renderExposition(registry), text);
});
