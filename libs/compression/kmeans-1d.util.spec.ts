import assert from 'node:assert/strict';
import test from 'node:test';
import { syntheticWeights } from './compression-test.fixture.js';
import { kmeans1d } from './kmeans-1d.util.js';

function sse(values: ArrayLike<number>, centroids: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i += 1) {
    let best = Infinity;
    for (let j = 0; j < centroids.length; j += 1) {
      best = Math.min(best, (values[i]! - centroids[j]!) ** 2);
    }
    total += best;
  }
  return total;
}

/** Every way to cut sorted values into k contiguous runs (the optimum is contiguous in 1-D). */
function bruteForce(values: number[], k: number): number {
  const xs = [...values].sort((a, b) => a - b);
  let best = Infinity;
  const walk = (start: number, left: number, acc: number): void => {
    if (left === 1) {
      const run = xs.slice(start);
      const mean = run.reduce((a, b) => a + b, 0) / run.length;
      best = Math.min(best, acc + run.reduce((a, b) => a + (b - mean) ** 2, 0));
      return;
    }
    for (let end = start + 1; end <= xs.length - left + 1; end += 1) {
      const run = xs.slice(start, end);
      const mean = run.reduce((a, b) => a + b, 0) / run.length;
      walk(end, left - 1, acc + run.reduce((a, b) => a + (b - mean) ** 2, 0));
    }
  };
  walk(0, k, 0);
  return best;
}

await test('matches brute force on small sets (exact DP)', () => {
  for (let seed = 1; seed <= 6; seed += 1) {
    const values = Array.from(syntheticWeights(14, seed));
    for (const k of [2, 3, 4]) {
      const got = sse(values, kmeans1d(values, k));
      assert.ok(Math.abs(got - bruteForce(values, k)) < 1e-9, `seed ${seed} k ${k}`);
    }
  }
});

await test('fewer distinct values than k returns them all', () => {
  assert.deepEqual(Array.from(kmeans1d([3, 1, 3, 2], 8)), [1, 2, 3]);
});

await test('deterministic, ascending, and the binned path is within 0.1 dB of exact', () => {
  const values = syntheticWeights(30000, 11);
  const a = kmeans1d(values, 16);
  assert.deepEqual(a, kmeans1d(values, 16));
  for (let i = 1; i < a.length; i += 1) {
    assert.ok(a[i]! > a[i - 1]!);
  }
  const exact = sse(values, kmeans1d(values, 16, Infinity));
  const binned = sse(values, a);
  assert.ok(10 * Math.log10(binned / exact) < 0.1, `binned loses ${10 * Math.log10(binned / exact)} dB`);
});
