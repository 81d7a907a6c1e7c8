import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confirmedChangePoints, eDivisive, newChangePoints, nightlyDecisions } from './e-divisive.util.js';
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

function bimodalNightly(seed: number, shift: number): number[] {
  const random = createPrng(seed);
  const gauss = createGaussian(random);
  return Array.from(
    { length: 60 },
    (_, i) => 100 * (i < 40 ? 1 : 1 + shift) * (1 + (random() < 0.3 ? 0.15 : 0) + 0.01 * gauss()),
  );
}

await test('the t-test variant finds a clear shift and ignores a spike', () => {
  const shifted = nightly(21, 60, (i) => (i < 30 ? 100 : 108));
  const cps = confirmedChangePoints(shifted, { significance: 'ttest' });
  assert.equal(cps.length, 1);
  assert.ok(Math.abs((cps[0]?.index ?? -1) - 30) <= 1);
  assert.equal(cps[0]?.significance, 'ttest');
  assert.ok((cps[0]?.pValue ?? 1) < 0.001);
  const spiked = nightly(22, 60, () => 100);
  spiked[25] = 130;
  assert.deepEqual(confirmedChangePoints(spiked, { significance: 'ttest' }), []);
});

await test('a 5 % shift of both modes of a bimodal series: the kernel energy finds it, raw values mostly do not', () => {
  let kernel = 0;
  let value = 0;
  for (let s = 0; s < 10; s++) {
    const series = bimodalNightly(100 + s, 0.05);
    const near = (cps: Array<{ index: number; relativeChange: number }>): number =>
      cps.some((cp) => Math.abs(cp.index - 40) <= 2 && cp.relativeChange > 0.03) ? 1 : 0;
    kernel += near(confirmedChangePoints(series, { seed: s + 1 }));
    value += near(confirmedChangePoints(series, { seed: s + 1, metric: 'value' }));
  }
  assert.ok(kernel >= 9, `kernel found ${kernel} of 10`);
  assert.ok(value < kernel, `value found ${value} of 10`);
  // No shift: the 15 % mode gap alone is not a change point.
  for (let s = 0; s < 5; s++) {
    assert.deepEqual(confirmedChangePoints(bimodalNightly(200 + s, 0), { seed: s + 1 }), []);
  }
});

await test('change points carry the robust magnitude, both segments and the confirmation p-value', () => {
  const series = nightly(23, 60, (i) => (i < 40 ? 100 : 105));
  series[50] = 200; // a spike in the after segment moves the mean but not the Hodges-Lehmann shift
  const [cp] = confirmedChangePoints(series, { seed: 2 });
  assert.ok(cp !== undefined);
  assert.ok(Math.abs(cp.relativeChange - 0.05) < 0.01, `${cp.relativeChange}`);
  assert.ok(cp.meanRelativeChange > cp.relativeChange + 0.03);
  assert.ok(cp.confirmationPValue < 0.01);
  assert.equal(cp.before.start, 0);
  assert.equal(cp.after.end, 60);
  assert.ok(Math.abs(cp.after.median - 105) < 1);
});

await test('newChangePoints reports a change point once as the series grows', () => {
  const full = nightly(24, 70, (i) => (i < 40 ? 100 : 110));
  const first = newChangePoints(full.slice(0, 50), [], { seed: 1 });
  assert.equal(first.length, 1);
  const reported = first.map((cp) => cp.index);
  for (let length = 51; length <= 70; length++) {
    assert.deepEqual(
      newChangePoints(full.slice(0, length), reported, { seed: 1 }),
      [],
      `at length ${length}`,
    );
  }
  assert.throws(() => eDivisive([1, 2, 3], { alpha: 2 }), RangeError);
});

await test('a model 3x slower is found although its level is 3x noisier in ms and early nights were slow', () => {
  // Measured on this project's CI machine: two warm-up nights, then the slowed detector model.
  const series = [
    1.79, 1.9, 1.51, 1.49, 1.49, 1.48, 1.44, 1.49, 1.5, 1.48, 4.99, 5.14, 5.07, 5.25, 5.18, 5.13,
  ];
  const found = confirmedChangePoints(series, {}, { minRelativeChange: 0.5 });
  assert.deepEqual(
    found.map((cp) => cp.index),
    [10],
  );
  assert.ok(found[0]!.relativeChange > 2);
});

await test('a cut confirmed before the change and moved to it a night later is one report, moved', () => {
  // The CI failure of test/integration/nightly.spec.ts: nights 6-9 a few percent above 0-5 (a loaded
  // machine), the model 3.4x slower from night 10. Night 13 confirms a cut at 6, night 14 one at 10.
  const series = [
    1.94, 1.93, 1.94, 1.94, 1.93, 1.93, 1.97, 1.99, 1.96, 1.98, 6.67, 6.63, 6.53, 6.58, 6.71, 6.61,
  ];
  const reported: number[] = [];
  const moves: string[] = [];
  for (let n = 2; n <= series.length; n++) {
    const { added, moved } = nightlyDecisions(series.slice(0, n), reported, {}, { minRelativeChange: 0.5 });
    reported.push(...added.map((cp) => cp.index));
    for (const { from, to } of moved) {
      reported[reported.indexOf(from)] = to.index;
      moves.push(`night ${n - 1}: ${from} -> ${to.index}`);
    }
  }
  assert.deepEqual(reported, [10], 'one report, at the first slow night');
  assert.deepEqual(moves, ['night 14: 6 -> 10']);
  // What newChangePoints alone reports over the same nights: the change twice.
  const twice: number[] = [];
  for (let n = 2; n <= series.length; n++) {
    twice.push(
      ...newChangePoints(series.slice(0, n), twice, {}, { minRelativeChange: 0.5 }).map((c) => c.index),
    );
  }
  assert.deepEqual(twice, [6, 10]);
});

await test('a report no longer confirmed does not swallow a change further away than a segment', () => {
  // Reported at 3 (no confirmed change point near it now); the change at 12 is another one.
  const series = Array.from({ length: 20 }, (_, i) => (i < 12 ? 100 : 200) * (1 + 0.001 * (i % 3)));
  const { added, moved } = nightlyDecisions(series, [3], {}, { minRelativeChange: 0.5 });
  assert.deepEqual(
    added.map((cp) => cp.index),
    [12],
  );
  assert.deepEqual(moved, []);
});
