import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { INFERENCE_LATENCY_BUCKETS_SECONDS } from './latency-buckets.js';
import { LatencyHistogram } from './latency-histogram.js';
import { renderExposition } from './exposition.js';

const NAME = 'test_latency_seconds';
const LABELS = ['model', 'agent'] as const;

function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({
    name: NAME,
    help: 'h',
    labelNames: LABELS,
    buckets: [...INFERENCE_LATENCY_BUCKETS_SECONDS],
    registers: [theirs],
  });
  const fast = new LatencyHistogram(NAME, 'h', LABELS, INFERENCE_LATENCY_BUCKETS_SECONDS, [ours]);
  return { theirs, ours, reference, fast };
}

await test('LatencyHistogram writes the same exposition as prom-client for the same observations', async () => {
  const { theirs, ours, reference, fast } = pair();
  const a = { model: 'det.onnx', agent: 'a-1' };
  const b = { model: 'rec "v2"\n', agent: 'b\\2' }; // escaping is the registry's, for both
  // Every bound exactly, just above and below it, below the first bucket and past the last.
  const values = [
    0,
    1e-6,
    10,
    11,
    1e9,
    ...INFERENCE_LATENCY_BUCKETS_SECONDS.flatMap((v) => [v, v * 1.0001, v * 0.9999]),
  ];
  const child = fast.labels(a);
  for (const v of values) {
    reference.observe(a, v);
    child.observe(v);
    reference.labels(b).observe(v / 3);
    fast.observe(b, v / 3);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.match(await ours.metrics(), /test_latency_seconds_count\{model="det.onnx",agent="a-1"\} 68/);
  // What /metrics serves: the histogram writes its own text, which must be the same.
  assert.equal(await renderExposition(ours), await theirs.metrics());
});

await test('LatencyHistogram ignores samples that are not numbers instead of throwing', async () => {
  const { ours, fast } = pair();
  const child = fast.labels({ model: 'm', agent: 'x' });
  child.observe(Number.NaN);
  child.observe(Number.POSITIVE_INFINITY);
  child.observe(0.004);
  const text = await ours.metrics();
  assert.match(text, /_count\{model="m",agent="x"\} 1\n/);
  assert.match(text, /_sum\{model="m",agent="x"\} 0.004\n/);
});

await test('LatencyHistogram a child keeps counting after its series was removed or reset', async () => {
  const { ours, fast } = pair();
  const labels = { model: 'm', agent: 'x' };
  const child = fast.labels(labels);
  assert.doesNotMatch(await ours.metrics(), /_count/, 'no series before its first sample');
  child.observe(0.1);
  fast.remove(labels);
  assert.doesNotMatch(await ours.metrics(), /_count/);
  child.observe(0.2);
  fast.reset();
  child.observe(0.3);
  assert.match(await ours.metrics(), /_count\{model="m",agent="x"\} 1\n/);
});

await test('LatencyHistogram refuses a label value that is not a string', () => {
  const { fast } = pair();
  assert.throws(
    () => fast.observe({ model: { x: 1 } as unknown as string, agent: 'a' }, 1),
    /label model must be a string/,
  );
});
