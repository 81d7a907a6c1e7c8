import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { renderExposition } from './exposition.js';
import { LastValueGauge } from './last-value-gauge.js';

const LABELS = ['model', 'agent'] as const;

function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Gauge({ name: 'g', help: 'g', labelNames: LABELS, registers: [theirs] });
  const fast = new LastValueGauge('g', 'g', LABELS, [ours]);
  /** Both texts of ours (renderExposition and prom-client's Registry.metrics()) equal prom-client's. */
  const same = async (): Promise<string> => {
    const expected = await theirs.metrics();
    assert.equal(await renderExposition(ours), expected);
    assert.equal(await ours.metrics(), expected, 'prom-client reading it through get() agrees');
    return expected;
  };
  return { reference, fast, same };
}

await test('a child sets its series as set(labels) does, and shows only once set', async () => {
  const { reference, fast, same } = pair();
  const a = { model: 'rec "v2"', agent: 'a\\1' };
  const b = { model: 'det.onnx', agent: 'b' };
  const childA = fast.child(a);
  fast.child(b); // taken, never set: no series
  assert.doesNotMatch(await same(), /^g\{/m);
  childA.set(0.25);
  reference.set(a, 0.25);
  fast.set(b, 2);
  reference.set(b, 2);
  childA.set(0.5); // the last value wins
  reference.set(a, 0.5);
  const text = await same();
  assert.match(text, /^g\{model="rec \\"v2\\"",agent="a\\\\1"\} 0.5$/m);
  // A child of a series that set(labels) made writes that series.
  fast.child(b).set(3);
  reference.set(b, 3);
  fast.set(a, 7); // and set(labels) writes a child's
  reference.set(a, 7);
  await same();
});

await test('a child set after remove() or reset() puts its series back', async () => {
  const { reference, fast, same } = pair();
  const a = { model: 'det.onnx', agent: 'a' };
  const b = { model: 'det.onnx', agent: 'b' };
  const childA = fast.child(a);
  const childB = fast.child(b);
  childA.set(1);
  childB.set(2);
  reference.set(a, 1);
  reference.set(b, 2);

  fast.remove(a);
  reference.remove(a);
  assert.doesNotMatch(await same(), /agent="a"/);
  childB.set(20); // another series' removal leaves this one as it was
  reference.set(b, 20);
  childA.set(10);
  reference.set(a, 10);
  assert.match(await same(), /^g\{model="det.onnx",agent="a"\} 10$/m);

  childA.remove();
  reference.remove(a);
  assert.doesNotMatch(await same(), /agent="a"/);
  childA.remove(); // already out: nothing
  childA.set(11);
  reference.set(a, 11);
  await same();

  fast.reset();
  reference.reset();
  assert.doesNotMatch(await same(), /^g\{/m);
  childB.set(21);
  reference.set(b, 21);
  assert.match(await same(), /^g\{model="det.onnx",agent="b"\} 21$/m);

  // After a reset, set(labels) and a child of the same series share it.
  fast.reset();
  reference.reset();
  fast.set(a, 5);
  reference.set(a, 5);
  childA.set(6);
  reference.set(a, 6);
  const text = await same();
  assert.equal(text.split('\n').filter((l) => l.startsWith('g{')).length, 1);
});
