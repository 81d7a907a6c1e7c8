import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import * as ort from 'onnxruntime-node';
import { BUNDLED_SHAPES, bundledModelPath } from '#common';
import { TensorProto_DataType, readOnnxModel } from '#onnx';
import { compressModel } from './compress.service.js';
import { encode, runOnce, syntheticWeights, weightEchoModel } from './compression-test.fixture.js';
import { typedTensor } from './graph-builder.util.js';
import { normalizeRecipe, parseRecipe } from './recipe.parser.js';

const RECIPES = join(process.cwd(), 'recipes');
const det = readFileSync(bundledModelPath('det'));
const { input, dims } = BUNDLED_SHAPES.det;
// A smaller input than the bundled 640x640 keeps the run short; the graph is fully convolutional.
const x = new ort.Tensor(
  'float32',
  Float32Array.from({ length: 3 * 160 * 160 }, (_, i) => Math.sin(i / 7)),
  [1, dims[1]!, 160, 160],
);

await test('PaddleOCR det compressed by every shipped recipe loads and runs in ORT', async () => {
  for (const file of readdirSync(RECIPES).filter((f) => /\.ya?ml$/.test(f))) {
    const recipe = parseRecipe(readFileSync(join(RECIPES, file), 'utf8'), file);
    const { bytes, report } = compressModel(det, recipe);
    // n:m recipes skip the depthwise convs (one input channel per group: no group of m to prune).
    const nmSkipped = report.tensors.filter((t) => /^n:m /.test(t.skipped ?? '')).length;
    assert.ok(
      report.totals.compressedTensors + nmSkipped >= 40,
      `${file}: ${report.totals.compressedTensors} compressed, ${nmSkipped} skipped by n:m`,
    );
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ [input]: x });
    await session.release();
    const y = Object.values(out)[0]!.data as Float32Array;
    assert.ok(
      y.every((v) => Number.isFinite(v)),
      `${file}: non-finite output`,
    );
    if (!file.startsWith('prune')) {
      assert.ok(report.totals.ratio < 0.3, `${file}: ratio ${report.totals.ratio}`);
    }
  }
});

await test('same recipe gives identical bytes (determinism)', () => {
  const recipe = parseRecipe(readFileSync(join(RECIPES, 'prune50-palettize-4bit-grouped16.yaml'), 'utf8'));
  const a = compressModel(det, recipe);
  const b = compressModel(det, recipe);
  assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
  assert.equal(a.report.recipeHash, b.report.recipeHash);
});

await test('skip reasons: integer tensors, small tensors, too few elements, not smaller', () => {
  const model = weightEchoModel([4, 4], syntheticWeights(16));
  model.graph!.initializer.push(
    typedTensor('ids', TensorProto_DataType.INT64, [3000], new BigInt64Array(3000)),
  );
  model.graph!.node.push({
    opType: 'Identity',
    input: ['ids'],
    output: ['ids_out'],
    attribute: [],
    metadataProps: [],
  });
  const recipe = normalizeRecipe({ global: { weight_threshold: 0, palettize: { nbits: 4 } } });
  const { bytes, report } = compressModel(encode(model), recipe);
  const byName = Object.fromEntries(report.tensors.map((t) => [t.name, t]));
  assert.match(byName.W!.skipped!, /too few elements \(16\) for a 16-entry LUT/);
  assert.match(byName.ids!.skipped!, /element type int64/);
  const withThreshold = compressModel(
    encode(model),
    normalizeRecipe({ global: { palettize: { nbits: 4 } } }),
  );
  assert.match(withThreshold.report.tensors[0]!.skipped!, /16 elements < weight_threshold 2048/);
  // Skipped tensors leave a model that still loads.
  readOnnxModel(bytes);
  const q = compressModel(
    encode(weightEchoModel([64], syntheticWeights(64))),
    normalizeRecipe({
      global: { weight_threshold: 0, quantize: { dtype: 'int8', granularity: 'per_channel' } },
    }),
  );
  assert.match(q.report.tensors[0]!.skipped!, /not smaller than the original/);
});

await test('sparse storage only where it is smaller', async () => {
  const w = syntheticWeights(64 * 64, 5);
  const at = (s: number): string => {
    const recipe = normalizeRecipe({
      global: { weight_threshold: 0, prune: { mode: 'magnitude', target_sparsity: s } },
    });
    return compressModel(encode(weightEchoModel([64, 64], w)), recipe).report.tensors[0]!.storage!;
  };
  // 4096 elements: int16 indices, so sparse pays above 1/3 sparsity.
  assert.equal(at(0.25), 'dense');
  assert.equal(at(0.5), 'sparse-int16');
  const big = syntheticWeights(256 * 256, 5);
  const recipe = normalizeRecipe({
    global: { weight_threshold: 0, prune: { mode: 'magnitude', target_sparsity: 0.5 } },
  });
  const { bytes, report } = compressModel(encode(weightEchoModel([256, 256], big)), recipe);
  // 65536 elements need int32 indices: 8 bytes per non-zero at 50 % is no smaller than dense.
  assert.equal(report.tensors[0]!.storage, 'dense');
  assert.equal((await runOnce(bytes)).filter((v) => v === 0).length, 32768);
});

await test('a model whose opset cannot be raised keeps it and falls back', () => {
  const model = weightEchoModel([64, 64], syntheticWeights(4096), 17);
  model.graph!.node.push({
    opType: 'Upsample',
    input: ['W'],
    output: ['u'],
    attribute: [],
    metadataProps: [],
  });
  const pal = compressModel(
    encode(model),
    normalizeRecipe({ global: { weight_threshold: 0, palettize: { nbits: 4 } } }),
  );
  assert.equal(pal.report.opsetAfter, 17);
  assert.equal(pal.report.tensors[0]!.storage, 'lut-uint8-float32');
  const q = compressModel(
    encode(model),
    normalizeRecipe({
      global: { weight_threshold: 0, quantize: { dtype: 'int4', granularity: 'per_channel' } },
    }),
  );
  assert.match(q.report.tensors[0]!.skipped!, /needs opset 21/);
});
