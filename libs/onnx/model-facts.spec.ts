import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { modelFacts } from './model-facts.util.js';
import { encodeOnnxModel } from './onnx-model.reader.js';
import { readOcrModel } from './onnx-test.fixture.js';
import { isDynamic } from './tensor-info.util.js';
import { buildTinyModel } from './tiny-model.builder.js';

const bytes = readOcrModel('ch_PP-OCRv4_det_infer.onnx');
const facts = modelFacts(bytes);

await test('modelFacts: describes the PaddleOCR v4 detection model as it really is', () => {
  assert.equal(facts.sizeBytes, bytes.length);
  assert.match(facts.sha256, /^[0-9a-f]{64}$/);
  assert.equal(facts.irVersion, 8);
  assert.deepEqual(facts.opsets, [{ domain: '', version: 11 }]);
  // Paddle2ONNX names its symbolic dims itself; only the channel count is fixed.
  assert.deepEqual(facts.inputs, [
    {
      name: 'x',
      elemType: 'float32',
      dims: ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2'],
    },
  ]);
  assert.equal(facts.outputs.length, 1);
  assert.equal(facts.outputs[0]?.elemType, 'float32');
  assert.ok(facts.inputs.every(isDynamic));
});

await test('modelFacts: agrees with onnxruntime on input and output names', async () => {
  const session = await ort.InferenceSession.create(bytes);
  try {
    assert.deepEqual(
      facts.inputs.map((i) => i.name),
      session.inputNames,
    );
    assert.deepEqual(
      facts.outputs.map((o) => o.name),
      session.outputNames,
    );
  } finally {
    await session.release();
  }
});

await test('modelFacts: counts ops, parameters and compressed size', () => {
  const histogramTotal = Object.values(facts.opHistogram).reduce((a, b) => a + b, 0);
  assert.equal(histogramTotal, facts.nodeCount);
  assert.ok((facts.opHistogram['Conv'] ?? 0) > 0);
  // All its weights are Constant nodes (no initializers), float32, so bytes ~ 4 x parameters.
  assert.ok(facts.parameterCount > 1_000_000, String(facts.parameterCount));
  assert.ok(facts.initializerBytes >= facts.parameterCount * 4 - 1024);
  assert.ok(facts.initializerBytes < facts.sizeBytes);
  assert.ok(facts.gzipSizeBytes < facts.sizeBytes);
});

await test('modelFacts: counts initializers, prefixes non-default domains and reports static shapes', () => {
  const model = buildTinyModel({ bias: [1, 2, 3] });
  model.graph!.node.push({
    opType: 'FusedGemm',
    domain: 'com.microsoft',
    input: [],
    output: [],
    attribute: [],
    metadataProps: [],
  });
  const tiny = modelFacts(encodeOnnxModel(model));
  assert.deepEqual(tiny.opHistogram, { Add: 1, Relu: 1, 'com.microsoft:FusedGemm': 1 });
  assert.equal(tiny.parameterCount, 3);
  assert.equal(tiny.initializerBytes, 12);
  assert.equal(tiny.producer, 'mlfarm');
  assert.deepEqual(tiny.inputs, [{ name: 'x', elemType: 'float32', dims: [1, 3] }]);
  assert.equal(isDynamic(tiny.inputs[0]!), false);
});

await test('modelFacts: does not count initializers that are also graph inputs (IR >= 4)', () => {
  const model = buildTinyModel();
  model.graph!.input.push({ ...model.graph!.input[0]!, name: 'bias' });
  const facts = modelFacts(encodeOnnxModel(model));
  assert.equal(facts.parameterCount, 0);
  assert.deepEqual(
    facts.inputs.map((i) => i.name),
    ['x'],
  );
});

await test('modelFacts: marks unnamed unknown dims as null', () => {
  const model = buildTinyModel({ batch: 'N' });
  model.graph!.output[0]!.type!.tensorType!.shape!.dim[0] = {};
  const facts = modelFacts(encodeOnnxModel(model));
  assert.deepEqual(facts.inputs[0]?.dims, ['N', 4]);
  assert.deepEqual(facts.outputs[0]?.dims, [null, 4]);
});
