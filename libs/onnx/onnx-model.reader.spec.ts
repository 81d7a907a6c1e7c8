import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { type ModelProto } from './generated/onnx.js';
import { readOcrModel } from './onnx-test.fixture.js';
import { OnnxFormatError, type OnnxFormatErrorCode } from './onnx-format.exception.js';
import { encodeOnnxModel, readOnnxModel } from './onnx-model.reader.js';
import { buildTinyModel } from './tiny-model.builder.js';

function assertRejects(bytes: Uint8Array, code: OnnxFormatErrorCode, message: RegExp): void {
  assert.throws(
    () => readOnnxModel(bytes),
    (error: unknown) => {
      assert.ok(error instanceof OnnxFormatError, `expected OnnxFormatError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      assert.ok(!error.message.includes('\n'), 'message is one line');
      return true;
    },
  );
}

function encodeWith(change: (model: ModelProto) => void): Uint8Array {
  const model = buildTinyModel();
  change(model);
  return encodeOnnxModel(model);
}

await test('readOnnxModel: decodes a real model', () => {
  const model = readOnnxModel(readOcrModel('ch_PP-OCRv4_det_infer.onnx'));
  assert.equal(model.irVersion, 8n);
  assert.ok((model.graph?.node.length ?? 0) > 100);
});

await test('readOnnxModel: round-trips the tiny model through encode and decode', () => {
  const model = buildTinyModel();
  assert.deepEqual(
    readOnnxModel(encodeOnnxModel(model)).graph?.node.map((n) => n.opType),
    ['Add', 'Relu'],
  );
});

await test('readOnnxModel: rejects an empty file', () => {
  assertRejects(new Uint8Array(0), 'NOT_ONNX', /^not an ONNX model: the file is empty/);
});

await test('readOnnxModel: rejects a text file', () => {
  assertRejects(
    Buffer.from('name,value\nlatency,12.5\n'),
    'NOT_ONNX',
    /^not an ONNX model: byte 0 .*"name,val"/,
  );
});

await test('readOnnxModel: rejects a PNG', () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(64)]);
  assertRejects(png, 'NOT_ONNX', /^not an ONNX model: .*0x89504e47/);
});

await test('readOnnxModel: rejects compressed bytes of a model', () => {
  assertRejects(deflateSync(encodeOnnxModel(buildTinyModel())), 'NOT_ONNX', /^not an ONNX model/);
});

await test('readOnnxModel: rejects random bytes, whatever they are', () => {
  for (let i = 0; i < 200; i++) {
    assert.throws(() => readOnnxModel(randomBytes(1 + (i % 50) * 40)), OnnxFormatError);
  }
});

await test('readOnnxModel: reports a cut-off real model as truncated, naming the field', () => {
  const bytes = readOcrModel('ch_PP-OCRv4_det_infer.onnx');
  assertRejects(
    bytes.subarray(0, Math.floor(bytes.length * 0.6)),
    'TRUNCATED',
    /^truncated ONNX model: field graph .* declares \d+ bytes but only \d+ remain/,
  );
  assertRejects(bytes.subarray(0, bytes.length - 1), 'TRUNCATED', /^truncated ONNX model/);
});

await test('readOnnxModel: rejects a model without a graph', () => {
  assertRejects(
    encodeWith((m) => (m.graph = undefined)),
    'INVALID_MODEL',
    /^ONNX model has no graph$/,
  );
});

await test('readOnnxModel: rejects a model without opset_import', () => {
  assertRejects(
    encodeWith((m) => (m.opsetImport = [])),
    'INVALID_MODEL',
    /^ONNX model has no opset_import$/,
  );
});

await test('readOnnxModel: rejects a model without ir_version', () => {
  assertRejects(
    encodeWith((m) => (m.irVersion = 0n)),
    'INVALID_MODEL',
    /no ir_version/,
  );
});

await test('readOnnxModel: rejects a node without op_type', () => {
  assertRejects(
    encodeWith((m) => (m.graph!.node[1]!.opType = '')),
    'INVALID_MODEL',
    /node #1 "relu_0" has no op_type/,
  );
});
