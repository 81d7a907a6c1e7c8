import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { renderExposition } from './exposition.js';
import { LastValueGauge } from './last-value-gauge.js';
import { LatencyHistogram } from './latency-histogram.js';

const LABELS = ['model', 'agent', 'stat'] as const;
// Escaping (quote, backslash, newline), a label left out, and values prom-client writes specially.
const SETS: [Record<(typeof LABELS)[number], string>, number][] = [
  [{ model: 'det.onnx', agent: 'a-1', stat: 'median' }, 0.0125],
  [{ model: 'rec "v2"\n', agent: 'b\\2', stat: 'p99' }, 1e21],
  [{ model: 'det.onnx', agent: 'a-2', stat: '' }, NaN],
  [{ model: 'det.onnx', agent: 'a-3', stat: 'max' }, Infinity],
  [{ model: 'det.onnx', agent: 'a-4', stat: 'min' }, -Infinity],
  [{ model: 'det.onnx', agent: 'a-1', stat: 'median' }, 0.5], // set again: the last value wins
];

await test('LastValueGauge writes what a prom-client Gauge writes for the same sets and removals', async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Gauge({
    name: 'g_seconds',
    help: 'Help with \\ and\nnewline.',
    labelNames: LABELS,
    registers: [theirs],
  });
  const fast = new LastValueGauge('g_seconds', 'Help with \\ and\nnewline.', LABELS, [ours]);
  for (const [labels, value] of SETS) {
    reference.set(labels, value);
    fast.set(labels, value);
  }
  reference.remove(SETS[2]![0]);
  fast.remove(SETS[2]![0]);
  const expected = await theirs.metrics();
  assert.equal(await renderExposition(ours), expected);
  assert.equal(await ours.metrics(), expected, 'prom-client reading it through get() agrees');
  assert.match(expected, /g_seconds\{model="det.onnx",agent="a-1",stat="median"\} 0.5\n/);
  assert.doesNotMatch(expected, /agent="a-2"/);
  fast.reset();
  assert.equal(
    await renderExposition(ours),
    '# HELP g_seconds Help with \\\\ and\\nnewline.\n# TYPE g_seconds gauge\n',
  );
});

await test('renderExposition writes the same text as Registry.metrics() for a mixed registry', async () => {
  const registry = new Registry();
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['k'], registers: [registry] });
  const gauge = new Gauge({ name: 'plain', help: 'p', registers: [registry] });
  const histogram = new Histogram({ name: 'h_seconds', help: 'h', buckets: [0.1, 1], registers: [registry] });
  const latency = new LatencyHistogram('l_seconds', 'l', ['agent'], [0.01, 0.1], [registry]);
  let collected = 0;
  const last = new LastValueGauge('last', 'x', ['agent'], [registry], () => {
    collected += 1;
    last.set({ agent: 'from-collect' }, 42);
  });
  counter.inc({ k: 'v' }, 3);
  gauge.set(-2.5);
  histogram.observe(0.5);
  latency.observe({ agent: 'x"y' }, 0.05);
  latency.observe({ agent: 'x"y' }, 5);
  last.set({ agent: 'a' }, 7);
  const expected = await registry.metrics();
  assert.equal(await renderExposition(registry), expected);
  assert.equal(collected, 2, 'the collect hook ran for each read');
  assert.match(expected, /l_seconds_bucket\{le="\+Inf",agent="x\\"y"\} 2\n/);
});

await test('renderExposition lets the event loop run between families', async () => {
  const registry = new Registry();
  for (let i = 0; i < 5; i++) {
    new Gauge({ name: `g${i}`, help: 'g', registers: [registry] }).set(i);
  }
  let turns = 0;
  let ticking = true;
  const tick = (): void => {
    turns += 1;
    if (ticking) {
      setImmediate(tick);
    }
  };
  setImmediate(tick);
  await renderExposition(registry);
  ticking = false;
  // Registry.metrics() reads every family within one turn; here other callbacks ran between them.
  assert.ok(turns >= 4, `expected the loop to turn between families, it turned ${turns} times`);
});
