import { type TensorElemType } from './elem-type.util.js';
import { type TensorData } from './loaded-tensor.types.js';

type NumericElemType = Exclude<TensorElemType, 'string'>;

const BYTES_PER_ELEMENT: Record<NumericElemType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
  uint4: 0.5,
  int4: 0.5,
};

/** Bytes a tensor of `count` elements takes in little-endian raw form; 4-bit types round up to whole bytes. */
export function rawByteLength(elemType: NumericElemType, count: number): number {
  return Math.ceil(count * BYTES_PER_ELEMENT[elemType]);
}

/**
 * Copies little-endian bytes into a fresh typed array. The copy is deliberate: file buffers are often at
 * offsets a Float32Array/BigInt64Array view cannot start at, and callers may keep the result longer than
 * the file buffer. Assumes a little-endian host, as every platform onnxruntime-node ships for is.
 */
export function typedArrayFromBytes(
  elemType: NumericElemType,
  bytes: Uint8Array,
): Exclude<TensorData, string[]> {
  // Not bytes.slice(): on a Buffer that is a view into Node's shared pool, not a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const buffer = copy.buffer;
  switch (elemType) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'float16':
    case 'uint16':
      return new Uint16Array(buffer);
    case 'int8':
    case 'int4':
      return new Int8Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'uint8':
    case 'bool':
    case 'uint4':
      return new Uint8Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'uint64':
      return new BigUint64Array(buffer);
  }
}

export function bytesOf(data: Exclude<TensorData, string[]>): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function isNumericElemType(elemType: TensorElemType): elemType is NumericElemType {
  return elemType !== 'string';
}
