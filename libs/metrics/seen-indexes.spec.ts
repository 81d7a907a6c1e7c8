import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeenIndexes } from './seen-indexes.js';

await test('indexes seen in any order are each counted once', () => {
  const seen = new SeenIndexes();
  for (const i of [0, 1, 2, 5, 3, 3, 7, 4, 0]) {
    seen.add(i);
  }
  assert.equal(seen.size, 7);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((i) => seen.has(i)),
    [0, 1, 2, 3, 4, 5, 7],
  );
  assert.equal(seen.add(6), true);
  assert.equal(seen.add(6), false);
  assert.equal(seen.add(-1), false);
  assert.equal(seen.add(1.5), false);
  assert.equal(seen.size, 8);
});

await test('a long in-order stream keeps one stretch', () => {
  const seen = new SeenIndexes();
  for (let i = 0; i < 1_000_000; i++) {
    seen.add(i);
  }
  assert.equal(seen.size, 1_000_000);
  assert.equal(seen.has(999_999), true);
  assert.equal(seen.has(1_000_000), false);
  assert.equal((seen as unknown as { starts: number[] }).starts.length, 1);
});

await test('runs of new indexes are added at once, anywhere; a run overlapping what was seen adds nothing', () => {
  const seen = new SeenIndexes();
  assert.equal(seen.addRun(0, 64), true);
  assert.equal(seen.addRun(64, 64), true);
  assert.equal(seen.addRun(200, 10), true, 'after a gap (a dropped progress message)');
  assert.equal(seen.addRun(64, 10), false, 'overlaps');
  assert.equal(seen.addRun(120, 81), false, 'overlaps the stretch after the gap');
  assert.equal(seen.size, 138);
  assert.equal(seen.addRun(128, 72), true, 'fills the gap exactly');
  assert.equal(seen.size, 210);
  assert.deepEqual(
    [0, 127, 128, 199, 209, 210].map((i) => seen.has(i)),
    [true, true, true, true, true, false],
  );
  assert.equal(seen.addRun(300, 0), false);
  assert.equal(seen.addRun(-5, 2), false);
});

await test('any order of single indexes and runs agrees with a plain set', () => {
  let state = 7;
  const random = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const seen = new SeenIndexes();
  const model = new Set<number>();
  for (let step = 0; step < 5000; step++) {
    const first = random(3000);
    const count = random(4) === 0 ? 1 + random(40) : 1;
    const fresh = Array.from({ length: count }, (_, i) => first + i).every((i) => !model.has(i));
    const added = count === 1 ? seen.add(first) : seen.addRun(first, count);
    assert.equal(added, fresh, `step ${step}: ${first}+${count}`);
    if (added) {
      for (let i = first; i < first + count; i++) {
        model.add(i);
      }
    }
    assert.equal(seen.size, model.size);
  }
  for (let i = 0; i < 3100; i++) {
    assert.equal(seen.has(i), model.has(i), `index ${i}`);
  }
});

await test('a hostile pattern of gaps stops opening stretches at the bound instead of growing', () => {
  const seen = new SeenIndexes();
  let refused = 0;
  for (let i = 0; i < 20_000; i += 2) {
    if (!seen.add(i)) {
      refused += 1;
    }
  }
  assert.equal(seen.size, 4096);
  assert.equal(refused, 10_000 - 4096);
  assert.equal(seen.add(1), true, 'joining two stretches needs no new one');
  assert.equal(seen.add(8191), true, 'extending the last one either');
});
