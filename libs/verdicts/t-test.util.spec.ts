import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hodgesLehmannShift } from './descriptive.util.js';
import { logGamma, studentTTwoSidedP, welchTTest } from './t-test.util.js';

const close = (actual: number, expected: number, eps: number): void =>
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} != ${expected}`);

await test('log gamma and Student-t tails match tables', () => {
  close(logGamma(5), Math.log(24), 1e-12);
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
  close(studentTTwoSidedP(2.228139, 10), 0.05, 1e-6);
  close(studentTTwoSidedP(63.65674, 1), 0.01, 1e-6);
  close(studentTTwoSidedP(1.959964, 1e7), 0.05, 1e-5);
  assert.equal(studentTTwoSidedP(0, 5), 1);
});

await test('Welch t-test by hand', () => {
  // means 2 and 5, variances 1 and 10/3, n 3 and 4: se^2 = 1/3 + (10/3)/4.
  const r = welchTTest([1, 2, 3], [3, 4, 6, 7]);
  const v2 = 10 / 3;
  const se2 = 1 / 3 + v2 / 4;
  close(r.t, -3 / Math.sqrt(se2), 1e-12);
  close(r.df, (se2 * se2) / ((1 / 3) ** 2 / 2 + (v2 / 4) ** 2 / 3), 1e-12);
  assert.ok(r.pValue > 0.01 && r.pValue < 0.1);
  assert.equal(welchTTest([1, 1], [1, 1]).pValue, 1);
  assert.equal(welchTTest([1, 1], [2, 2]).pValue, 0);
});

await test('Hodges-Lehmann shift ignores a spike', () => {
  assert.equal(hodgesLehmannShift([1, 2, 3], [11, 12, 13]), 10);
  assert.equal(hodgesLehmannShift([1, 2, 3, 4, 5], [6, 7, 8, 9, 500]), 5);
});
