import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveSamplesOf, remainingSamples } from './live-samples.adapter.js';

await test('a measure-phase progress message carries its latest sample at index done - 1', () => {
  assert.deepEqual(liveSamplesOf({ phase: 'measure', done: 7, lastMs: 12.5 }), [{ index: 6, ms: 12.5 }]);
});

await test('warm-up, load and profile progress are not latency samples', () => {
  for (const phase of ['load', 'first-run', 'warmup', 'profile']) {
    assert.deepEqual(liveSamplesOf({ phase, done: 3, lastMs: 9 }), []);
  }
  assert.deepEqual(liveSamplesOf({ phase: 'measure', done: 0, lastMs: 0 }), []);
});

await test('a batch of samples (the proposed TaskProgress.samples_ms) is returned whole', () => {
  assert.deepEqual(liveSamplesOf({ phase: 'measure', done: 5, lastMs: 3, samplesMs: [1, 2, 3] }), [
    { index: 2, ms: 1 },
    { index: 3, ms: 2 },
    { index: 4, ms: 3 },
  ]);
});

await test('the result adds exactly the samples not seen live', () => {
  assert.deepEqual(remainingSamples([10, 11, 12, 13], new Set([1, 3])), [10, 12]);
});
