import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapRelativeChangeCi } from './bootstrap.util.js';
import { kolmogorovQ, kolmogorovSmirnov, mannWhitneyU, normalUpperTail } from './rank-tests.util.js';

const close = (actual: number, expected: number, eps = 1e-4): void =>
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} != ${expected}`);

await test('normal tail matches tabulated values', () => {
  close(normalUpperTail(0), 0.5, 1e-7);
  close(normalUpperTail(1.959964), 0.025, 1e-6);
  close(normalUpperTail(-1.644854), 0.95, 1e-6);
});

await test('Mann-Whitney U counts pairs by hand, ties as one half', () => {
  // Every a below every b: U = 0; mu = 4.5, var = 9 * 7 / 12, z = (4.5 - 0.5) / sqrt(5.25).
  const sep = mannWhitneyU([1, 2, 3], [4, 5, 6]);
  assert.equal(sep.u, 0);
  close(sep.pValue, 2 * normalUpperTail(4 / Math.sqrt(5.25)), 1e-9);
  // 4 beats 2 and 3, 6 beats 2, 3 and 5: U = 5.
  assert.equal(mannWhitneyU([1, 4, 6], [2, 3, 5]).u, 5);
  // Each 2 ties the 2 in b (one half) and loses to 3: U = 0.5 + 0.5.
  assert.equal(mannWhitneyU([1, 2, 2], [2, 3]).u, 1);
  assert.equal(mannWhitneyU([7, 7, 7], [7, 7]).pValue, 1);
});

await test('Mann-Whitney is symmetric: U_a + U_b = n1 n2, same p', () => {
  const a = [3.1, 2.2, 5.5, 4.1, 2.2];
  const b = [1.0, 6.3, 2.2, 7.7];
  const ab = mannWhitneyU(a, b);
  const ba = mannWhitneyU(b, a);
  close(ab.u + ba.u, 20, 1e-12);
  close(ab.pValue, ba.pValue, 1e-12);
});

await test('Kolmogorov-Smirnov D by hand and the Kolmogorov distribution', () => {
  // ECDFs after 1, 2, 3, 4: (1/4, 0), (2/4, 0), (3/4, 1/4), (1, 2/4) -> D = 1/2.
  assert.equal(kolmogorovSmirnov([1, 2, 3, 4], [3, 4, 5, 6]).d, 0.5);
  assert.equal(kolmogorovSmirnov([1, 2, 3], [1, 2, 3]).d, 0);
  assert.equal(kolmogorovSmirnov([1, 2, 3], [1, 2, 3]).pValue, 1);
  // Tabulated critical values of the limiting distribution.
  close(kolmogorovQ(1.3581), 0.05);
  close(kolmogorovQ(1.6276), 0.01);
  const apart = kolmogorovSmirnov([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  assert.equal(apart.d, 1);
  assert.ok(apart.pValue < 1e-3);
});

await test('bootstrap CI is deterministic per seed and brackets the observed change', () => {
  const base = [100, 101, 99, 100.5, 99.5, 100.2, 99.8, 100.1, 99.9, 100.3];
  const head = base.map((v) => v * 1.1);
  const ci = bootstrapRelativeChangeCi(base, head, { resamples: 1000, seed: 7 });
  assert.deepEqual(ci, bootstrapRelativeChangeCi(base, head, { resamples: 1000, seed: 7 }));
  assert.ok(ci[0] > 0.08 && ci[1] < 0.12, `${ci[0]}..${ci[1]}`);
  assert.ok(ci[0] <= 0.1 && ci[1] >= 0.1);
});
