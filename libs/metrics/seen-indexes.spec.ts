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

await test('a long in-order stream keeps no set at all', () => {
  const seen = new SeenIndexes();
  for (let i = 0; i < 1_000_000; i++) {
    seen.add(i);
  }
  assert.equal(seen.size, 1_000_000);
  assert.equal(seen.has(999_999), true);
  assert.equal(seen.has(1_000_000), false);
  assert.equal((seen as unknown as { ahead: Set<number> }).ahead.size, 0);
});
