import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from './domain-error.js';
import { labelsMatch, parseLabel, parseShape } from './parsing.js';

await test('parseShape reads input=DIMS with x or comma separators', () => {
  assert.deepEqual(parseShape('x=1x3x640x640'), { input: 'x', dims: [1, 3, 640, 640] });
  assert.deepEqual(parseShape('input_ids=1,128'), { input: 'input_ids', dims: [1, 128] });
  assert.deepEqual(parseShape('a=b=2x2'), { input: 'a=b', dims: [2, 2] }, 'the last = splits');
});

await test('parseShape names the bad text', () => {
  for (const bad of ['x', 'x=', '=1x2', 'x=1xfoo', 'x=0x3', 'x=-1x3', 'x=1.5']) {
    assert.throws(
      () => parseShape(bad),
      (e: unknown) => e instanceof DomainError && e.message.includes(`'${bad}'`),
    );
  }
});

await test('parseLabel and labelsMatch', () => {
  assert.deepEqual(parseLabel('gpu=h200'), { key: 'gpu', value: 'h200' });
  assert.deepEqual(parseLabel('empty='), { key: 'empty', value: '' });
  assert.throws(() => parseLabel('novalue'), /key=value/);
  assert.throws(() => parseLabel('bad key=x'), /bad label/);
  const have = [parseLabel('gpu=h200'), parseLabel('os=linux')];
  assert.equal(labelsMatch(have, [parseLabel('os=linux')]), true);
  assert.equal(labelsMatch(have, []), true);
  assert.equal(labelsMatch(have, [parseLabel('os=darwin')]), false);
});
