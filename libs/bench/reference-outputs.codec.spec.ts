import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeReferenceOutputs, encodeReferenceOutputs } from './reference-outputs.codec.js';

const header = {
  ortVersion: '1.20.1',
  inputsDigest: 'abc',
  inputs: [{ name: 'x', dims: [1, 3], elemType: 'float32', source: 'synthetic' as const }],
};

await test('round trip keeps names, dims, types and exact bytes, aligned for any element size', () => {
  const outputs = [
    { name: 'odd', dims: [3], elemType: 'uint8', data: Uint8Array.from([1, 2, 3]) },
    { name: 'y', dims: [1, 2], elemType: 'float32', data: Float32Array.from([0.1, -2.5]) },
    { name: 'ids', dims: [2], elemType: 'int64', data: BigInt64Array.from([7n, -1n]) },
    { name: 'text', dims: [1], elemType: 'string', data: ['hello'] },
  ];
  const decoded = decodeReferenceOutputs(encodeReferenceOutputs(header, outputs));
  assert.deepEqual(decoded.header, header);
  assert.deepEqual(decoded.outputs, outputs);
});

await test('a file that is not a reference is INVALID_INPUT naming it', () => {
  assert.throws(() => decodeReferenceOutputs(Buffer.from('nope, not it'), '/tmp/r.bin'), {
    code: 'INVALID_INPUT',
    message: /reference outputs \/tmp\/r\.bin is not an mlfarm reference file/,
  });
  const good = encodeReferenceOutputs(header, [
    { name: 'y', dims: [4], elemType: 'float32', data: new Float32Array(4) },
  ]);
  assert.throws(() => decodeReferenceOutputs(good.subarray(0, good.length - 4)), {
    message: /cut off in output 'y'/,
  });
});
