import { BinaryReader } from '@bufbuild/protobuf/wire';
import { TensorProto, TensorProto_DataLocation } from './generated/onnx.js';
import { type TensorElemType, elementCount, elemTypeCode, elemTypeName } from './elem-type.util.js';
import { type LoadedTensor, type TensorData } from './loaded-tensor.types.js';
import { TensorFileError } from './tensor-file.exception.js';
import { bytesOf, isNumericElemType, rawByteLength, typedArrayFromBytes } from './typed-array.util.js';

const TENSOR_ELEM_TYPES: ReadonlySet<string> = new Set<TensorElemType>([
  'float32',
  'float64',
  'float16',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'string',
  'uint4',
  'int4',
]);

/** Parses a serialized ONNX TensorProto (.pb, as written by onnx.numpy_helper / the ONNX test data sets). */
export function parseTensorProto(bytes: Uint8Array, file = '<bytes>'): LoadedTensor {
  const reader = new BinaryReader(bytes);
  let proto: TensorProto;
  try {
    proto = TensorProto.decode(reader);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new TensorFileError(
      'DECODE_FAILED',
      file,
      `not a TensorProto: protobuf decode failed at byte ${reader.pos} (${reason})`,
      { cause },
    );
  }
  return loadedFromTensorProto(proto, file);
}

/** Converts an already-decoded TensorProto (an initializer, a Constant's value) the same way. */
export function loadedFromTensorProto(proto: TensorProto, file = '<bytes>'): LoadedTensor {
  if (proto.dataLocation === TensorProto_DataLocation.EXTERNAL || proto.externalData.length > 0) {
    const location = proto.externalData.find((e) => e.key === 'location')?.value ?? '?';
    throw new TensorFileError(
      'EXTERNAL_DATA',
      file,
      `tensor data lives in external file "${location}", which is not supported`,
    );
  }
  if (proto.segment) {
    throw new TensorFileError(
      'UNSUPPORTED',
      file,
      'segmented TensorProto (one chunk of a larger tensor) is not supported',
    );
  }
  const typeName = elemTypeName(proto.dataType);
  if (typeName === 'undefined') {
    throw new TensorFileError('BAD_HEADER', file, 'not a TensorProto: data_type is missing');
  }
  if (!TENSOR_ELEM_TYPES.has(typeName)) {
    throw new TensorFileError(
      'UNSUPPORTED',
      file,
      `tensor element type ${typeName} cannot be held by an onnxruntime-node Tensor`,
    );
  }
  const elemType = typeName as TensorElemType;
  const dims = proto.dims.map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new TensorFileError(
      'BAD_HEADER',
      file,
      `tensor dims [${dims.join(', ')}] are not non-negative integers`,
    );
  }
  const count = elementCount(proto.dims);
  const data = tensorData(proto, elemType, count, file);
  const name = proto.name ? { name: proto.name } : {};
  return { ...name, elemType, dims, data } as LoadedTensor;
}

function tensorData(proto: TensorProto, elemType: TensorElemType, count: number, file: string): TensorData {
  if (!isNumericElemType(elemType)) {
    expectLength(proto.stringData.length, count, 'string_data entries', file);
    return proto.stringData.map((s) => s.toString('utf8'));
  }
  // The decoder fills an absent raw_data with an empty buffer, so only a non-empty one means "raw".
  if (proto.rawData && proto.rawData.byteLength > 0) {
    expectLength(proto.rawData.byteLength, rawByteLength(elemType, count), 'raw_data bytes', file);
    return typedArrayFromBytes(elemType, proto.rawData);
  }
  // The typed fields ONNX uses for each element type (see the comments on TensorProto in onnx.proto).
  switch (elemType) {
    case 'float32':
      expectLength(proto.floatData.length, count, 'float_data values', file);
      return Float32Array.from(proto.floatData);
    case 'float64':
      expectLength(proto.doubleData.length, count, 'double_data values', file);
      return Float64Array.from(proto.doubleData);
    case 'int64':
      expectLength(proto.int64Data.length, count, 'int64_data values', file);
      return BigInt64Array.from(proto.int64Data);
    case 'uint64':
      expectLength(proto.uint64Data.length, count, 'uint64_data values', file);
      return BigUint64Array.from(proto.uint64Data);
    case 'uint32':
      expectLength(proto.uint64Data.length, count, 'uint64_data values', file);
      return Uint32Array.from(proto.uint64Data, Number);
    case 'int32':
      expectLength(proto.int32Data.length, count, 'int32_data values', file);
      return Int32Array.from(proto.int32Data);
    case 'int16':
      expectLength(proto.int32Data.length, count, 'int32_data values', file);
      return Int16Array.from(proto.int32Data);
    case 'int8':
      expectLength(proto.int32Data.length, count, 'int32_data values', file);
      return Int8Array.from(proto.int32Data);
    case 'uint16':
    case 'float16':
      expectLength(proto.int32Data.length, count, 'int32_data values', file);
      return Uint16Array.from(proto.int32Data);
    case 'uint8':
    case 'bool':
      expectLength(proto.int32Data.length, count, 'int32_data values', file);
      return Uint8Array.from(proto.int32Data);
    // 4-bit values come two to an int32_data entry, already nibble-packed.
    case 'uint4':
      expectLength(proto.int32Data.length, Math.ceil(count / 2), 'int32_data values', file);
      return Uint8Array.from(proto.int32Data);
    case 'int4':
      expectLength(proto.int32Data.length, Math.ceil(count / 2), 'int32_data values', file);
      return Int8Array.from(proto.int32Data);
  }
}

function expectLength(actual: number, expected: number, what: string, file: string): void {
  if (actual !== expected) {
    throw new TensorFileError(
      'SIZE_MISMATCH',
      file,
      `tensor shape needs ${expected} ${what} but the file has ${actual}`,
    );
  }
}

/** Numeric tensors go to raw_data (what onnx.numpy_helper writes too); strings to string_data. */
export function tensorProtoFromLoaded(tensor: LoadedTensor): TensorProto {
  const proto = emptyTensorProto();
  proto.name = tensor.name;
  proto.dims = tensor.dims.map(BigInt);
  proto.dataType = elemTypeCode(tensor.elemType);
  if (tensor.elemType === 'string') {
    proto.stringData = tensor.data.map((s) => Buffer.from(s, 'utf8'));
  } else {
    proto.rawData = Buffer.from(bytesOf(tensor.data));
  }
  return proto;
}

export function encodeTensorProto(tensor: LoadedTensor | TensorProto): Uint8Array {
  const proto = 'elemType' in tensor ? tensorProtoFromLoaded(tensor) : tensor;
  return TensorProto.encode(proto).finish();
}

export function emptyTensorProto(): TensorProto {
  return {
    dims: [],
    floatData: [],
    int32Data: [],
    stringData: [],
    int64Data: [],
    externalData: [],
    doubleData: [],
    uint64Data: [],
    metadataProps: [],
  };
}

/** Float32 initializer/constant in raw_data form, the layout exporters and the compression workers use. */
export function tensorFromFloat32(
  name: string,
  dims: readonly number[],
  data: ArrayLike<number>,
): TensorProto {
  const values = Float32Array.from(data);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw new RangeError(
      `tensorFromFloat32(${name}): dims [${dims.join(', ')}] need ${expected} values, got ${values.length}`,
    );
  }
  return tensorProtoFromLoaded({ name, elemType: 'float32', dims: [...dims], data: values });
}
