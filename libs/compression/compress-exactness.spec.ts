import assert from 'node:assert/strict';
import test from 'node:test';
import { readOnnxModel } from '#onnx';
import { compressModel } from './compress.service.js';
import {
  encode,
  identity,
  matmulModel,
  runOnce,
  sameBits,
  syntheticWeights,
  weightEchoModel,
} from './compression-test.fixture.js';
import { decodeMatMulNBits, decodeWeight } from './graph-decode.fixture.js';
import { normalizeRecipe } from './recipe.parser.js';

// For every method and bit width: the weight ORT computes from the compressed graph must equal, bit for
// bit, an independent JS decode of the stored tensors.
const DIMS = [32, 8, 3, 3];
const W = syntheticWeights(32 * 8 * 9, 7);

async function checkExact(global: Record<string, unknown>, dims = DIMS, values = W): Promise<number | null> {
  const recipe = normalizeRecipe({ global: { weight_threshold: 0, ...global } });
  const { bytes, report } = compressModel(encode(weightEchoModel(dims, values)), recipe);
  const tensor = report.tensors[0]!;
  assert.equal(tensor.skipped, undefined, `skipped: ${tensor.skipped}`);
  const fromOrt = await runOnce(bytes);
  const fromJs = decodeWeight(readOnnxModel(bytes), 'W');
  assert.ok(sameBits(fromOrt, fromJs), `${JSON.stringify(global)}: ORT and JS decode differ`);
  return tensor.sqnrDb;
}

for (const nbits of [1, 2, 3, 4, 6, 8]) {
  for (const mode of ['kmeans', 'uniform']) {
    await test(`palettize ${mode} ${nbits}-bit per_tensor is exact`, async () => {
      await checkExact({ palettize: { mode, nbits } });
    });
  }
  await test(`palettize kmeans ${nbits}-bit grouped(8) + per-channel scale is exact`, async () => {
    await checkExact({
      palettize: { nbits, granularity: 'per_grouped_channel', group_size: 8, per_channel_scale: true },
    });
  });
}

for (const lut of ['float16', 'int8']) {
  for (const nbits of [2, 4, 8]) {
    await test(`palettize ${nbits}-bit grouped LUT ${lut} is exact`, async () => {
      await checkExact({
        palettize: { nbits, granularity: 'per_grouped_channel', group_size: 16, lut_dtype: lut },
      });
    });
  }
}

await test('palettize unique mode is lossless', async () => {
  const few = Float32Array.from(W, (v) => Math.round(v * 20) / 20);
  assert.equal(await checkExact({ palettize: { mode: 'unique', nbits: 4 } }, DIMS, few), null);
});

await test('palettize grouped on channel axis 1 (MatMul-like layout) is exact', async () => {
  await checkExact({
    palettize: { nbits: 4, granularity: 'per_grouped_channel', group_size: 4, channel_axis: 1 },
  });
});

for (const dtype of ['int8', 'uint8', 'int4', 'uint4']) {
  for (const mode of ['linear_symmetric', 'linear']) {
    for (const granularity of ['per_tensor', 'per_channel', 'per_block']) {
      await test(`quantize ${mode} ${dtype} ${granularity} is exact`, async () => {
        const block = granularity === 'per_block' ? { block_size: 4 } : {};
        await checkExact({ quantize: { mode, dtype, granularity, ...block } });
      });
    }
  }
}

for (const [name, prune] of [
  ['threshold', { mode: 'threshold', threshold: 0.05 }],
  ['magnitude 75 %', { mode: 'magnitude', target_sparsity: 0.75 }],
  ['2:4', { mode: 'n_m', n_m_ratio: '2:4' }],
  ['block 4', { mode: 'block', block_size: 4, target_sparsity: 0.5 }],
] as const) {
  await test(`prune ${name} is exact (stored sparse or dense)`, async () => {
    await checkExact({ prune });
  });
}

await test('prune then palettize keeps pruned weights exactly zero', async () => {
  const recipe = normalizeRecipe({
    global: {
      weight_threshold: 0,
      prune: { mode: 'magnitude', target_sparsity: 0.5 },
      palettize: { nbits: 4, granularity: 'per_grouped_channel', group_size: 8, lut_dtype: 'int8' },
    },
  });
  const { bytes, report } = compressModel(encode(weightEchoModel(DIMS, W)), recipe);
  const decoded = await runOnce(bytes);
  assert.ok(sameBits(decoded, decodeWeight(readOnnxModel(bytes), 'W')));
  const sorted = Float32Array.from(W, Math.abs).sort();
  const cut = sorted[W.length / 2 - 1]!;
  W.forEach((v, i) => {
    if (Math.abs(v) <= cut) {
      assert.equal(decoded[i], 0, `weight ${i} was pruned but decodes to ${decoded[i]}`);
    }
  });
  assert.ok(report.tensors[0]!.sparsity! >= 0.5);
});

await test('prune then quantize keeps pruned weights exactly zero', async () => {
  for (const dtype of ['int8', 'uint4']) {
    const recipe = normalizeRecipe({
      global: {
        weight_threshold: 0,
        prune: { mode: 'magnitude', target_sparsity: 0.5 },
        quantize: { mode: 'linear', dtype, granularity: 'per_channel' },
      },
    });
    const { bytes, report } = compressModel(encode(weightEchoModel(DIMS, W)), recipe);
    const decoded = await runOnce(bytes);
    assert.ok(sameBits(decoded, decodeWeight(readOnnxModel(bytes), 'W')));
    assert.ok(
      Math.abs(report.tensors[0]!.sparsity! - 0.5) < 0.01,
      `${dtype}: ${report.tensors[0]!.sparsity}`,
    );
  }
});

for (const [mode, level] of [
  ['linear_symmetric', 1],
  ['linear', 0],
] as const) {
  await test(`MatMulNBits ${mode} accuracy_level ${level}: A = I returns the stored weight exactly`, async () => {
    const K = 64;
    const N = 24;
    const w = syntheticWeights(K * N, 3);
    const recipe = normalizeRecipe({
      global: {
        weight_threshold: 0,
        quantize: { mode, dtype: 'uint4', format: 'matmul_nbits', block_size: 32, accuracy_level: level },
      },
    });
    const { bytes, report } = compressModel(encode(matmulModel(K, N, w)), recipe);
    assert.equal(report.tensors[0]!.storage, 'matmul_nbits');
    const fromOrt = await runOnce(bytes, { A: identity(K) });
    assert.ok(sameBits(fromOrt, decodeMatMulNBits(readOnnxModel(bytes))));
  });
}
