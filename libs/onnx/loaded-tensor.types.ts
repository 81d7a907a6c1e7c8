import { type TensorElemType } from './elem-type.util.js';

/** Mirrors onnxruntime-common's `Tensor.DataTypeMap`, so `data` can go straight into `new ort.Tensor(...)`. */
export interface TensorDataTypeMap {
  float32: Float32Array;
  float64: Float64Array;
  /** IEEE half floats as raw bits: onnxruntime-node takes Uint16Array (Node 20 has no Float16Array). */
  float16: Uint16Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  /** One byte per element, 0 or 1. */
  bool: Uint8Array;
  string: string[];
  /** Two elements per byte, first element in the low nibble. */
  uint4: Uint8Array;
  int4: Int8Array;
}

export type TensorData = TensorDataTypeMap[TensorElemType];

/** Discriminated on elemType so narrowing it narrows `data` too. */
export type LoadedTensor = {
  [K in TensorElemType]: { name?: string; elemType: K; dims: number[]; data: TensorDataTypeMap[K] };
}[TensorElemType];
