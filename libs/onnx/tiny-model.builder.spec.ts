import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel } from './onnx-model.reader.js';
import { buildTinyModel } from './tiny-model.builder.js';

async function run(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ x: new ort.Tensor('float32', x, dims) });
    return result['y']!;
  } finally {
    await session.release();
  }
}

await test('buildTinyModel: runs in onnxruntime-node and computes Relu(x + bias)', async () => {
  const y = await run(encodeOnnxModel(buildTinyModel()), Float32Array.from([0, 0, 0, 1]), [1, 4]);
  assert.deepEqual(y.dims, [1, 4]);
  assert.deepEqual(Array.from(y.data as Float32Array), [1, 0, 0.5, 0.75]);
});

await test('buildTinyModel: takes any batch when the batch dim is symbolic', async () => {
  const bytes = encodeOnnxModel(buildTinyModel({ batch: 'batch', bias: [-1, 1] }));
  const y = await run(bytes, Float32Array.from([2, 2, 0, -3, 5, 0]), [3, 2]);
  assert.deepEqual(y.dims, [3, 2]);
  assert.deepEqual(Array.from(y.data as Float32Array), [1, 3, 0, 0, 4, 1]);
});

await test('buildTinyModel: rejects a batch that does not match a fixed batch dim', async () => {
  const bytes = encodeOnnxModel(buildTinyModel());
  await assert.rejects(run(bytes, new Float32Array(8), [2, 4]), /dimension|Got invalid/i);
});
