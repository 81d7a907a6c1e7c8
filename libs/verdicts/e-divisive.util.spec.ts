import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confirmedChangePoints, eDivisive } from './e-divisive.util.js';
import { createGaussian, createPrng } from './prng.util.js';

function nightly(seed: number, length: number, level: (i: number) => number, cv = 0.01): number[] {
  const gauss = createGaussian(createPrng(seed));
  return Array.from({ length }, (_, i) => level(i) * (1 + cv * gauss()));
}

await test('a 10 % level shift after point 30 of 60 gives one change point near 30', () => {
  const series = nightly(1, 60, (i) => (i < 30 ? 100 : 110));
  const cps = confirmedChangePoints(series, { seed: 3 });
  assert.equal(cps.length, 1);
  const cp = cps[0];
  assert.ok(cp !== undefined);
  assert.ok(Math.abs(cp.index - 30) <= 1, `index ${cp.index}`);
  assert.ok(Math.abs(cp.relativeChange - 0.1) < 0.02);
  assert.ok(cp.pValue < 0.05);
  assert.deepEqual(
    [cp.before.start, cp.before.end, cp.after.start, cp.after.end],
    [0, cp.index, cp.index, 60],
  );
});

await test('a single spike is not a change point', () => {
  const series = nightly(2, 60, () => 100);
  series[30] = 150;
  assert.deepEqual(confirmedChangePoints(series, { seed: 4 }), []);
});

await test('a flat noisy series has no confirmed change point', () => {
  assert.deepEqual(
    confirmedChangePoints(
      nightly(5, 60, () => 100),
      { seed: 6 },
      { minRelativeChange: 0.02 },
    ),
    [],
  );
});

await test('a shift in the last two points is not confirmed yet', () => {
  const series = nightly(7, 40, (i) => (i < 38 ? 100 : 130));
  assert.deepEqual(confirmedChangePoints(series, { seed: 8, minSegment: 2 }), []);
  // With minSegment 2 the raw detector may see it; confirmation is what holds it back.
  const raw = eDivisive(series, { seed: 8, minSegment: 2 });
  assert.ok(raw.every((cp) => cp.index >= 30));
});

await test('two shifts give two change points, each summarized against its neighbours', () => {
  const series = nightly(9, 60, (i) => (i < 20 ? 100 : i < 40 ? 110 : 95));
  const cps = eDivisive(series, { seed: 10 });
  assert.deepEqual(
    cps.map((cp) => cp.index),
    [20, 40],
  );
  assert.equal(cps[1]?.before.start, 20);
});

await test('results are deterministic per seed', () => {
  const series = nightly(11, 60, (i) => (i < 30 ? 100 : 104));
  assert.deepEqual(eDivisive(series, { seed: 12 }), eDivisive(series, { seed: 12 }));
});
