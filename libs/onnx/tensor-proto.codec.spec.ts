import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { TensorProto, TensorProto_DataLocation, TensorProto_DataType } from './generated/onnx.js';
import { type LoadedTensor } from './loaded-tensor.types.js';
import { TensorFileError, type TensorFileErrorCode } from './tensor-file.exception.js';
import { readTensorFile } from './tensor-file.reader.js';
import {
  emptyTensorProto,
  encodeTensorProto,
  parseTensorProto,
  tensorFromFloat32,
} from './tensor-proto.codec.js';

function proto(fields: Partial<TensorProto>): Uint8Array {
  return TensorProto.encode({ ...emptyTensorProto(), ...fields }).finish();
}

function rejects(bytes: Uint8Array, code: TensorFileErrorCode, message: RegExp): void {
  assert.throws(
    () => parseTensorProto(bytes, 'data/input_0.pb'),
    (error: unknown) => {
      assert.ok(error instanceof TensorFileError, String(error));
      assert.equal(error.code, code, error.message);
      assert.match(error.message, /^data\/input_0\.pb: /);
      assert.match(error.message, message);
      return true;
    },
  );
}

await test('tensor proto: round-trips tensors through raw_data', () => {
  const tensors: LoadedTensor[] = [
    { name: 'x', elemType: 'float32', dims: [1, 3], data: Float32Array.from([0.5, -1, 2]) },
    { name: 'ids', elemType: 'int64', dims: [2], data: BigInt64Array.from([9007199254740993n, -1n]) },
    { elemType: 'bool', dims: [2], data: Uint8Array.from([0, 1]) },
    { elemType: 'float16', dims: [1], data: Uint16Array.from([0x3c00]) },
    { elemType: 'int4', dims: [3], data: Int8Array.from([0x21, 0x03]) },
    { name: 'words', elemType: 'string', dims: [2], data: ['héllo', ''] },
  ];
  for (const tensor of tensors) {
    assert.deepEqual(parseTensorProto(encodeTensorProto(tensor)), tensor, tensor.elemType);
  }
});

await test('tensor proto: reads the typed repeated fields', () => {
  const floats = parseTensorProto(
    proto({ dataType: TensorProto_DataType.FLOAT, dims: [2n], floatData: [1.5, -2] }),
  );
  assert.deepEqual(floats, { elemType: 'float32', dims: [2], data: Float32Array.from([1.5, -2]) });
  const doubles = parseTensorProto(
    proto({ dataType: TensorProto_DataType.DOUBLE, dims: [1n], doubleData: [Math.E] }),
  );
  assert.deepEqual(doubles.data, Float64Array.from([Math.E]));
  const longs = parseTensorProto(
    proto({ dataType: TensorProto_DataType.INT64, dims: [2n], int64Data: [2n ** 62n, -3n] }),
  );
  assert.deepEqual(longs.data, BigInt64Array.from([2n ** 62n, -3n]));
  const bytes = parseTensorProto(
    proto({ dataType: TensorProto_DataType.UINT8, dims: [1n, 2n], int32Data: [255, 7] }),
  );
  assert.deepEqual(bytes, { elemType: 'uint8', dims: [1, 2], data: Uint8Array.from([255, 7]) });
  const halves = parseTensorProto(
    proto({ dataType: TensorProto_DataType.FLOAT16, dims: [], int32Data: [0x3c00] }),
  );
  assert.deepEqual(halves, { elemType: 'float16', dims: [], data: Uint16Array.from([0x3c00]) });
  const uints = parseTensorProto(
    proto({ dataType: TensorProto_DataType.UINT32, dims: [1n], uint64Data: [4_000_000_000n] }),
  );
  assert.deepEqual(uints.data, Uint32Array.from([4_000_000_000]));
});

await test('tensor proto: a loaded tensor goes straight into an onnxruntime Tensor', () => {
  const loaded = parseTensorProto(encodeTensorProto(tensorFromFloat32('x', [2, 2], [1, 2, 3, 4])));
  const tensor = new ort.Tensor(loaded.elemType, loaded.data, loaded.dims);
  assert.equal(tensor.type, 'float32');
  assert.deepEqual(tensor.dims, [2, 2]);
  const ids = parseTensorProto(proto({ dataType: TensorProto_DataType.INT64, dims: [1n], int64Data: [3n] }));
  assert.equal(new ort.Tensor(ids.elemType, ids.data, ids.dims).type, 'int64');
});

await test('tensor proto: rejects what it cannot load, naming the problem', () => {
  rejects(
    Buffer.from('{"x": [1, 2, 3]}'),
    'DECODE_FAILED',
    /not a TensorProto: protobuf decode failed at byte \d+/,
  );
  rejects(new Uint8Array(0), 'BAD_HEADER', /data_type is missing/);
  rejects(
    proto({ dataType: TensorProto_DataType.BFLOAT16, dims: [1n], int32Data: [1] }),
    'UNSUPPORTED',
    /bfloat16 cannot be held/,
  );
  rejects(
    proto({ dataType: TensorProto_DataType.FLOAT, dims: [3n], floatData: [1, 2] }),
    'SIZE_MISMATCH',
    /needs 3 float_data values but the file has 2/,
  );
  rejects(
    proto({ dataType: TensorProto_DataType.FLOAT, dims: [2n, 2n], rawData: Buffer.alloc(12) }),
    'SIZE_MISMATCH',
    /needs 16 raw_data bytes but the file has 12/,
  );
  rejects(
    proto({
      dataType: TensorProto_DataType.FLOAT,
      dims: [4n],
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: 'weights.bin' }],
    }),
    'EXTERNAL_DATA',
    /external file "weights\.bin"/,
  );
});

await test('readTensorFile: loads a .pb TensorProto from disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-pb-'));
  try {
    const path = join(dir, 'input_0.pb');
    await writeFile(path, encodeTensorProto(tensorFromFloat32('x', [1, 2], [3, 4])));
    assert.deepEqual(await readTensorFile(path), {
      name: 'x',
      elemType: 'float32',
      dims: [1, 2],
      data: Float32Array.from([3, 4]),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
