import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from './ids.js';

await test('ids from the random pool: prefixed, 20 hex digits of randomness, none repeated across refills', () => {
  // 10,000 ids take 100,000 random bytes: the 4 KiB pool is refilled about 25 times.
  const ids = Array.from({ length: 10_000 }, () => newId('task'));
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids.slice(0, 50)) {
    assert.match(id, /^task_[0-9a-z]+[0-9a-f]{20}$/);
  }
  const tails = new Set(ids.map((id) => id.slice(-20)));
  assert.equal(tails.size, ids.length, 'the random parts alone are all different');
});
