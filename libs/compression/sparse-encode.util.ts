import { type SparseTensorProto, TensorProto_DataType } from '#onnx';
import { typedTensor } from './graph-builder.util.js';

/**
 * Smallest linear-index type ORT accepts for a sparse_initializer of `count` elements. Measured with
 * onnxruntime-node 1.30: INT8, INT16, INT32 and INT64 indices load; UINT8 and UINT16 are rejected at
 * graph construction, so the signed ranges decide (127, 32767).
 */
export function sparseIndexType(count: number): { code: TensorProto_DataType; bytes: number; name: string } {
  if (count <= 128) {
    return { code: TensorProto_DataType.INT8, bytes: 1, name: 'int8' };
  }
  if (count <= 32768) {
    return { code: TensorProto_DataType.INT16, bytes: 2, name: 'int16' };
  }
  if (count <= 2 ** 31) {
    return { code: TensorProto_DataType.INT32, bytes: 4, name: 'int32' };
  }
  return { code: TensorProto_DataType.INT64, bytes: 8, name: 'int64' };
}

/** Payload bytes of the COO form: float32 values plus one linear index per non-zero. */
export function sparseBytes(values: Float32Array): number {
  let nnz = 0;
  for (const v of values) {
    if (v !== 0) {
      nnz += 1;
    }
  }
  return nnz * (4 + sparseIndexType(values.length).bytes);
}

export function encodeSparse(name: string, dims: readonly number[], values: Float32Array): SparseTensorProto {
  const positions: number[] = [];
  values.forEach((v, e) => {
    if (v !== 0) {
      positions.push(e);
    }
  });
  const type = sparseIndexType(values.length);
  const nz = Float32Array.from(positions, (e) => values[e]!);
  const indexData =
    type.bytes === 1
      ? Int8Array.from(positions)
      : type.bytes === 2
        ? Int16Array.from(positions)
        : type.bytes === 4
          ? Int32Array.from(positions)
          : BigInt64Array.from(positions.map(BigInt));
  const valuesTensor = typedTensor(name, TensorProto_DataType.FLOAT, [positions.length], nz);
  const indices = typedTensor('', type.code, [positions.length], indexData);
  delete indices.name;
  return { values: valuesTensor, indices, dims: dims.map(BigInt) };
}
