import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import * as ort from 'onnxruntime-node';
import { bundledModelPath } from '#common';
import { loadedFromTensorProto, readOnnxModel } from '#onnx';
import { compressModel } from './compress.service.js';
import { encode, matmulModel, syntheticWeights } from './compression-test.fixture.js';
import { decodePalettized } from './palettize-encode.util.js';
import { palettize } from './palettize.util.js';
import { normalizeRecipe, parseRecipe } from './recipe.parser.js';
import { catalogWeights } from './weight-catalog.util.js';
import { sqnrDb } from './weight-metrics.util.js';

await test('8-bit per-tensor k-means on the real rec conv2d_184.w_0 (outlier-heavy) reaches >= 35 dB', () => {
  const rec = readOnnxModel(readFileSync(bundledModelPath('rec')));
  const weight = catalogWeights(rec.graph!).find((w) => w.name === 'conv2d_184.w_0');
  assert.ok(weight, 'conv2d_184.w_0 is in the bundled rec model');
  const dims = weight.tensor.dims.map(Number);
  assert.deepEqual(dims, [480, 480, 1, 1]);
  const values = loadedFromTensorProto(weight.tensor, weight.name).data as Float32Array;
  const recipe = parseRecipe(readFileSync(join(process.cwd(), 'recipes', 'palettize-8bit.yaml'), 'utf8'));
  const p = palettize(values, dims, 0, recipe.global!.palettize!, false);
  const sqnr = sqnrDb(values, decodePalettized(dims, p))!;
  // Quantile-only histogram bins gave 10.6 dB here (the outliers shared bins with bulk values).
  assert.ok(sqnr >= 35, `conv2d_184.w_0 at 8 bits: ${sqnr.toFixed(2)} dB`);
});

/** Op types left in the graph ORT actually runs (session option optimizedModelFilePath). */
async function optimizedOpTypes(bytes: Uint8Array): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mlfarm-pal-opt-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(bytes, {
      optimizedModelFilePath: path,
      graphOptimizationLevel: 'extended',
    });
    await session.release();
    return readOnnxModel(readFileSync(path)).graph!.node.map((n) => n.opType ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await test('ORT constant-folds every palettized decode chain (no Gather/Cast left at run time)', async () => {
  const w = syntheticWeights(64 * 96, 3);
  const cases: Array<[string, Record<string, unknown>]> = [
    ['8-bit per-tensor (uint8 indices, opset 17)', { nbits: 8, granularity: 'per_tensor' }],
    ['4-bit per-tensor (uint4 indices, opset 21)', { nbits: 4, granularity: 'per_tensor' }],
    [
      '8-bit grouped, per-channel scale, int8 LUT',
      {
        nbits: 8,
        granularity: 'per_grouped_channel',
        group_size: 16,
        per_channel_scale: true,
        lut_dtype: 'int8',
      },
    ],
    [
      '4-bit grouped, float16 LUT',
      { nbits: 4, granularity: 'per_grouped_channel', group_size: 16, lut_dtype: 'float16' },
    ],
  ];
  for (const [label, palettizeConfig] of cases) {
    const recipe = normalizeRecipe({
      global: { weight_threshold: 0, palettize: { mode: 'kmeans', ...palettizeConfig } },
    });
    const { bytes, report } = compressModel(encode(matmulModel(64, 96, w)), recipe);
    assert.equal(report.totals.compressedTensors, 1, label);
    const before = readOnnxModel(bytes).graph!.node.map((n) => n.opType);
    assert.ok(before.includes('Gather'), `${label}: the stored graph decodes with Gather`);
    const after = await optimizedOpTypes(bytes);
    assert.deepEqual(after, ['MatMul'], `${label}: optimized graph ${after.join(',')}`);
  }
});
