import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeLatencyStats, quantileSorted } from './latency-stats.util.js';

const close = (actual: number, expected: number, eps = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} != ${expected}`);

await test('quantiles interpolate linearly between closest ranks (type 7)', () => {
  const xs = [1, 2, 3, 4];
  close(quantileSorted(xs, 0.5), 2.5);
  close(quantileSorted(xs, 0.9), 3.7); // h = 3 * 0.9 = 2.7 -> 3 + 0.7 * (4 - 3)
  close(quantileSorted(xs, 0), 1);
  close(quantileSorted(xs, 1), 4);
});

await test('stats match hand-computed values', () => {
  const s = computeLatencyStats([4, 100, 1, 3, 2]);
  assert.equal(s.count, 5);
  close(s.median, 3);
  close(s.p90, 61.6); // h = 4 * 0.9 = 3.6 -> 4 + 0.6 * 96
  close(s.p99, 96.16); // h = 3.96 -> 4 + 0.96 * 96
  close(s.mean, 22);
  close(s.stddev, Math.sqrt(7610 / 4)); // squared deviations 441 + 400 + 361 + 324 + 6084
  close(s.mad, 1); // |x - 3| = 2, 1, 0, 1, 97 -> median 1
  assert.equal(s.min, 1);
  assert.equal(s.max, 100);
});

await test('bootstrap CI brackets the median and is deterministic per seed', () => {
  const samples = Array.from({ length: 301 }, (_, i) => 50 + ((i * 37) % 101) / 10);
  const a = computeLatencyStats(samples, 7);
  const b = computeLatencyStats(samples, 7);
  assert.deepEqual(a.ci95, b.ci95);
  assert.ok(a.ci95[0] <= a.median && a.median <= a.ci95[1]);
  assert.ok(
    a.ci95[0] > a.min && a.ci95[1] < a.max,
    'the median CI of 301 samples is narrower than their range',
  );
  const c = computeLatencyStats(samples, 8);
  assert.ok(c.ci95[0] <= c.median && c.median <= c.ci95[1]);
});

await test('a single sample gives a degenerate interval and no spread', () => {
  const s = computeLatencyStats([5]);
  assert.deepEqual(s.ci95, [5, 5]);
  assert.equal(s.stddev, 0);
  assert.equal(s.mad, 0);
});

await test('no samples is an error', () => {
  assert.throws(() => computeLatencyStats([]), { name: 'BenchError', code: 'INVALID_INPUT' });
});
