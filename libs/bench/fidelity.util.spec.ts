import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFidelity, looksLikeClassScores, SNR_CAP_DB } from './fidelity.util.js';
import { type OutputTensor } from './reference-outputs.codec.js';

const f32 = (name: string, dims: number[], values: number[]): OutputTensor => ({
  name,
  dims,
  elemType: 'float32',
  data: Float32Array.from(values),
});

await test('identical outputs: cosine 1, SNR and PSNR at the cap, no error, full agreement', () => {
  const ref = [f32('y', [2, 3], [0.1, 0.7, 0.2, 0.5, 0.3, 0.2])];
  const r = computeFidelity(ref, ref);
  assert.equal(r.cosine, 1);
  assert.equal(r.snrDb, SNR_CAP_DB);
  assert.equal(r.psnrDb, SNR_CAP_DB);
  assert.equal(r.maxAbsError, 0);
  assert.equal(r.top1Agreement, 1);
  assert.equal(r.top5Agreement, undefined, 'top-5 needs more than 5 classes');
  assert.deepEqual(r.mismatchedOutputs, []);
});

await test('hand-computed values: ref [3,4], got [3,5]', () => {
  // dot 29, |ref| 5, |got| sqrt(34): cosine 29 / (5 sqrt 34); signal 25, noise 1 -> SNR 10 log10 25;
  // peak 4, MSE 1/2 -> PSNR 10 log10 32; max abs error 1.
  const r = computeFidelity([f32('y', [2], [3, 4])], [f32('y', [2], [3, 5])]);
  assert.ok(Math.abs(r.cosine - 29 / (5 * Math.sqrt(34))) < 1e-12);
  assert.ok(Math.abs(r.snrDb - 10 * Math.log10(25)) < 1e-9);
  assert.ok(Math.abs(r.psnrDb - 10 * Math.log10(32)) < 1e-9);
  assert.equal(r.maxAbsError, 1);
  assert.equal(r.top1Agreement, undefined, 'rank 1 is not class scores');
});

await test('the aggregate treats all outputs as one vector; per-output rows keep their own', () => {
  const ref = [f32('a', [2], [3, 4]), f32('b', [1], [0])];
  const got = [f32('a', [2], [3, 4]), f32('b', [1], [2])];
  const r = computeFidelity(ref, got);
  assert.equal(r.outputs[0]!.snrDb, SNR_CAP_DB);
  assert.equal(r.outputs[1]!.snrDb, -SNR_CAP_DB, 'zero reference with noise');
  assert.equal(r.outputs[1]!.cosine, 0, 'one side all zero');
  // signal 25 over noise 4 -> 10 log10 6.25; MSE 4/3, peak 4 -> 10 log10 12.
  assert.ok(Math.abs(r.snrDb - 10 * Math.log10(6.25)) < 1e-9);
  assert.ok(Math.abs(r.psnrDb - 10 * Math.log10(12)) < 1e-9);
  assert.equal(r.maxAbsError, 2);
});

await test('top-1 per row of class scores, top-5 = reference best within the candidate top 5', () => {
  // 2 timesteps x 7 classes (rank 3 like PaddleOCR rec). Row 0 agrees; in row 1 the candidate's best is
  // class 6 but the reference's best (class 0) is still its second highest.
  const ref = [0, 1, 2, 3, 4, 5, 9, 9, 1, 2, 3, 4, 5, 6];
  const got = [0, 1, 2, 3, 4, 5, 9, 8, 1, 2, 3, 4, 5, 9];
  const r = computeFidelity([f32('s', [1, 2, 7], ref)], [f32('s', [1, 2, 7], got)]);
  assert.equal(r.outputs[0]!.top1Agreement, 0.5);
  assert.equal(r.outputs[0]!.top5Agreement, 1);
  assert.equal(r.top1Agreement, 0.5);
  // Worse: the reference's best falls to the candidate's lowest.
  const far = [9, 0, 0, 0, 0, 0, 0];
  const r2 = computeFidelity([f32('s', [1, 7], far)], [f32('s', [1, 7], [0, 1, 2, 3, 4, 5, 6])]);
  assert.equal(r2.top1Agreement, 0);
  assert.equal(r2.top5Agreement, 0);
});

await test('class-score detection: rank 2-3 floats with >= 2 classes, never spatial maps', () => {
  assert.equal(looksLikeClassScores({ dims: [1, 40, 6625], elemType: 'float32' }), true);
  assert.equal(looksLikeClassScores({ dims: [1, 2], elemType: 'float32' }), true);
  assert.equal(looksLikeClassScores({ dims: [1, 1, 640, 640], elemType: 'float32' }), false);
  assert.equal(looksLikeClassScores({ dims: [4, 1], elemType: 'float32' }), false);
  assert.equal(looksLikeClassScores({ dims: [4, 3], elemType: 'int64' }), false);
});

await test('a shape, type or name mismatch is reported per output and makes the aggregate worst', () => {
  const r = computeFidelity(
    [f32('y', [1, 4], [1, 2, 3, 4]), f32('z', [1], [1]), f32('gone', [1], [1])],
    [
      f32('y', [1, 5], [1, 2, 3, 4, 5]),
      { name: 'z', dims: [1], elemType: 'float64', data: Float64Array.from([1]) },
      f32('extra', [1], [1]),
    ],
  );
  assert.deepEqual(r.mismatchedOutputs, ['y', 'z', 'gone', 'extra']);
  assert.match(r.outputs[0]!.mismatch!, /shape \[1,5\] differs from the reference \[1,4\]/);
  assert.match(r.outputs[1]!.mismatch!, /type float64 differs/);
  assert.match(r.outputs[2]!.mismatch!, /missing/);
  assert.equal(r.cosine, 0);
  assert.equal(r.snrDb, -SNR_CAP_DB);
  assert.equal(r.maxAbsError, Number.MAX_VALUE);
  assert.doesNotThrow(() => JSON.stringify(r));
});

await test('NaN on one side is counted, not averaged in; int64 and float16 are compared as numbers', () => {
  const r = computeFidelity([f32('y', [3], [1, NaN, 2])], [f32('y', [3], [1, 5, 2])]);
  assert.equal(r.outputs[0]!.nonFiniteMismatches, 1);
  assert.equal(r.maxAbsError, 0);
  const ints = computeFidelity(
    [{ name: 'i', dims: [2], elemType: 'int64', data: BigInt64Array.from([1n, 3n]) }],
    [{ name: 'i', dims: [2], elemType: 'int64', data: BigInt64Array.from([1n, 5n]) }],
  );
  assert.equal(ints.maxAbsError, 2);
  // float16 bits: 0x3c00 = 1, 0x4000 = 2.
  const half = computeFidelity(
    [{ name: 'h', dims: [1], elemType: 'float16', data: Uint16Array.from([0x3c00]) }],
    [{ name: 'h', dims: [1], elemType: 'float16', data: Uint16Array.from([0x4000]) }],
  );
  assert.equal(half.maxAbsError, 1);
});
