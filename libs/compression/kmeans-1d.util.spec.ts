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

/** Laplace(0, 0.02) weights with `outliers` values at about 50x the typical magnitude (deterministic). */
function heavyTailed(count: number, outliers: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const values = Float32Array.from({ length: count }, () => {
    const u = next() - 0.5;
    return -0.02 * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  });
  for (let j = 0; j < outliers; j += 1) {
    values[Math.floor(next() * count)] = (j % 2 === 0 ? 1 : -1) * (0.8 + 0.4 * next());
  }
  return values;
}

const sqnrOf = (values: Float32Array, centroids: ArrayLike<number>): number => {
  let signal = 0;
  for (const v of values) {
    signal += v * v;
  }
  return 10 * Math.log10(signal / sse(values, centroids));
};

await test('heavy-tailed tensor with outliers: binned path within 0.5 dB of exact at 4 and 8 bits', () => {
  // 12000 distinct values: above both exact-DP limits, so the default call takes the histogram path.
  const values = heavyTailed(12000, 12, 7);
  for (const k of [16, 256]) {
    const binned = sqnrOf(values, kmeans1d(values, k));
    const exact = sqnrOf(values, kmeans1d(values, k, Infinity));
    assert.ok(exact - binned < 0.5, `k ${k}: binned ${binned.toFixed(2)} dB vs exact ${exact.toFixed(2)} dB`);
    if (k === 256) {
      assert.ok(binned >= 35, `8-bit SQNR ${binned.toFixed(2)} dB`);
    }
  }
  assert.deepEqual(kmeans1d(values, 256), kmeans1d(values, 256));
});
