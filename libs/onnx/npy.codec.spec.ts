import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type LoadedTensor } from './loaded-tensor.types.js';
import { encodeNpy, parseNpy } from './npy.codec.js';
import { TensorFileError, type TensorFileErrorCode } from './tensor-file.exception.js';
import { readTensorFile } from './tensor-file.reader.js';

/** Builds a .npy by hand, as numpy would write it, so the parser is not only tested against our writer. */
function npy(header: string, data: Uint8Array, version = 1): Buffer {
  const lengthBytes = version === 1 ? 2 : 4;
  const text = `${header}\n`;
  const prefix = Buffer.alloc(8 + lengthBytes);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = version;
  if (version === 1) {
    prefix.writeUInt16LE(text.length, 8);
  } else {
    prefix.writeUInt32LE(Buffer.byteLength(text), 8);
  }
  return Buffer.concat([prefix, Buffer.from(text, version === 3 ? 'utf8' : 'latin1'), data]);
}

function rejects(bytes: Uint8Array, code: TensorFileErrorCode, message: RegExp): void {
  assert.throws(
    () => parseNpy(bytes, 'inputs/x.npy'),
    (error: unknown) => {
      assert.ok(error instanceof TensorFileError, String(error));
      assert.equal(error.code, code, error.message);
      assert.equal(error.file, 'inputs/x.npy');
      assert.match(error.message, /^inputs\/x\.npy: /);
      assert.match(error.message, message);
      return true;
    },
  );
}

const f32 = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

await test('npy: round-trips every dtype through encodeNpy and parseNpy', () => {
  const tensors: LoadedTensor[] = [
    { elemType: 'float32', dims: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
    { elemType: 'float64', dims: [2], data: Float64Array.from([Math.PI, -1e300]) },
    { elemType: 'float16', dims: [2], data: Uint16Array.from([0x3c00, 0xc000]) },
    { elemType: 'int8', dims: [3], data: Int8Array.from([-128, 0, 127]) },
    { elemType: 'uint8', dims: [1, 1, 3], data: Uint8Array.from([0, 128, 255]) },
    { elemType: 'int16', dims: [1], data: Int16Array.from([-300]) },
    { elemType: 'uint16', dims: [1], data: Uint16Array.from([65535]) },
    { elemType: 'int32', dims: [2, 2], data: Int32Array.from([1, -2, 3, -4]) },
    { elemType: 'uint32', dims: [1], data: Uint32Array.from([4_000_000_000]) },
    { elemType: 'int64', dims: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 62n]) },
    { elemType: 'uint64', dims: [1], data: BigUint64Array.from([2n ** 64n - 1n]) },
    { elemType: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) },
    { elemType: 'float32', dims: [], data: Float32Array.from([42]) },
    { elemType: 'float32', dims: [0, 3], data: new Float32Array(0) },
  ];
  for (const tensor of tensors) {
    const bytes = encodeNpy(tensor);
    const dataBytes = 'byteLength' in tensor.data ? tensor.data.byteLength : 0;
    assert.equal((bytes.length - dataBytes) % 64, 0, 'data 64-byte aligned');
    assert.deepEqual(parseNpy(bytes), tensor, tensor.elemType);
  }
});

await test('npy: reads v2 and v3 headers and numpy spellings of dtypes', () => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  for (const version of [1, 2, 3]) {
    assert.deepEqual(parseNpy(npy(header, f32([1, 2]), version)).data, Float32Array.from([1, 2]));
  }
  const bools = parseNpy(
    npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", Uint8Array.from([1, 0])),
  );
  assert.equal(bools.elemType, 'bool');
  const native = parseNpy(
    npy("{'descr': '=i4', 'fortran_order': False, 'shape': (), }", Uint8Array.from([7, 0, 0, 0])),
  );
  assert.deepEqual(native, { elemType: 'int32', dims: [], data: Int32Array.from([7]) });
});

await test('npy: copies data that sits at an unaligned offset', () => {
  const file = npy(
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
    new Uint8Array(Float64Array.from([1.5]).buffer),
  );
  const shifted = Buffer.concat([Buffer.from([0]), file]).subarray(1);
  assert.deepEqual(parseNpy(shifted).data, Float64Array.from([1.5]));
});

await test('npy: rejects files that are not npy', () => {
  rejects(Buffer.from('PK\x03\x04 this is an npz'), 'BAD_MAGIC', /missing \\x93NUMPY magic/);
  rejects(new Uint8Array(0), 'BAD_MAGIC', /not a \.npy file/);
});

await test('npy: rejects broken headers', () => {
  const good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32([1, 2]));
  rejects(good.subarray(0, 20), 'BAD_HEADER', /header claims \d+ bytes/);
  rejects(npy("{'descr': '<f4', 'shape': (2,), }", f32([1, 2])), 'BAD_HEADER', /lacks 'fortran_order'/);
  rejects(
    npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", f32([1, 2])),
    'BAD_HEADER',
    /shape/,
  );
  const future = Buffer.from(good);
  future[6] = 9;
  rejects(future, 'UNSUPPORTED', /format version 9/);
});

await test('npy: rejects layouts and dtypes it cannot hand to onnxruntime', () => {
  rejects(
    npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }", f32([1, 2])),
    'UNSUPPORTED',
    /Fortran order/,
  );
  rejects(
    npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f32([1, 2])),
    'UNSUPPORTED',
    /big-endian/,
  );
  rejects(
    npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)),
    'UNSUPPORTED',
    /Python objects/,
  );
  rejects(
    npy("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(20)),
    'UNSUPPORTED',
    /<U5 is not supported/,
  );
  rejects(
    npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)),
    'UNSUPPORTED',
    /structured/,
  );
});

await test('npy: rejects data that does not match the shape', () => {
  rejects(
    npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f32([1, 2])),
    'SIZE_MISMATCH',
    /needs 12 data bytes but the file has 8/,
  );
  rejects(
    npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f32([1, 2])),
    'SIZE_MISMATCH',
    /needs 4 data bytes but the file has 8/,
  );
});

await test('readTensorFile: loads .npy from disk and names the file in errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-npy-'));
  try {
    const tensor: LoadedTensor = { elemType: 'int64', dims: [1, 2], data: BigInt64Array.from([5n, -5n]) };
    await writeFile(join(dir, 'ids.npy'), encodeNpy(tensor));
    assert.deepEqual(await readTensorFile(join(dir, 'ids.npy')), tensor);

    await writeFile(join(dir, 'bad.npy'), 'not numpy');
    await assert.rejects(readTensorFile(join(dir, 'bad.npy')), {
      code: 'BAD_MAGIC',
      message: new RegExp(`^${join(dir, 'bad.npy')}: `),
    });
    await assert.rejects(readTensorFile(join(dir, 'missing.npy')), {
      code: 'READ_FAILED',
      message: /missing\.npy: cannot read tensor file \(ENOENT/,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
