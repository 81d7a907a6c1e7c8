import { TensorProto_DataType as DataType } from './generated/onnx.js';

/** Element type names exactly as onnxruntime's `Tensor.Type` spells them ('float64', not 'double'). */
export type TensorElemType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'uint4'
  | 'int4';

/** Every ONNX element type; the ones onnxruntime-node cannot hold in a Tensor keep ONNX's own lower-case name. */
export type OnnxElemType =
  | TensorElemType
  | 'bfloat16'
  | 'complex64'
  | 'complex128'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'undefined';

const NAMES: ReadonlyMap<number, OnnxElemType> = new Map<number, OnnxElemType>([
  [DataType.UNDEFINED, 'undefined'],
  [DataType.FLOAT, 'float32'],
  [DataType.UINT8, 'uint8'],
  [DataType.INT8, 'int8'],
  [DataType.UINT16, 'uint16'],
  [DataType.INT16, 'int16'],
  [DataType.INT32, 'int32'],
  [DataType.INT64, 'int64'],
  [DataType.STRING, 'string'],
  [DataType.BOOL, 'bool'],
  [DataType.FLOAT16, 'float16'],
  [DataType.DOUBLE, 'float64'],
  [DataType.UINT32, 'uint32'],
  [DataType.UINT64, 'uint64'],
  [DataType.COMPLEX64, 'complex64'],
  [DataType.COMPLEX128, 'complex128'],
  [DataType.BFLOAT16, 'bfloat16'],
  [DataType.FLOAT8E4M3FN, 'float8e4m3fn'],
  [DataType.FLOAT8E4M3FNUZ, 'float8e4m3fnuz'],
  [DataType.FLOAT8E5M2, 'float8e5m2'],
  [DataType.FLOAT8E5M2FNUZ, 'float8e5m2fnuz'],
  [DataType.UINT4, 'uint4'],
  [DataType.INT4, 'int4'],
]);

const CODES: ReadonlyMap<string, number> = new Map([...NAMES].map(([code, name]) => [name, code]));

/** Unknown codes (a newer ONNX than the vendored proto) come back as `unknown(N)` rather than failing. */
export function elemTypeName(dataType: number | undefined): OnnxElemType | `unknown(${number})` {
  return NAMES.get(dataType ?? 0) ?? `unknown(${dataType ?? 0})`;
}

export function elemTypeCode(name: string): number | undefined {
  return CODES.get(name);
}

/** Bits per element, so 4-bit types can be sized; undefined for strings and unknown types. */
export function elemTypeBits(dataType: number | undefined): number | undefined {
  switch (elemTypeName(dataType)) {
    case 'uint4':
    case 'int4':
      return 4;
    case 'uint8':
    case 'int8':
    case 'bool':
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz':
      return 8;
    case 'uint16':
    case 'int16':
    case 'float16':
    case 'bfloat16':
      return 16;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 32;
    case 'float64':
    case 'int64':
    case 'uint64':
    case 'complex64':
      return 64;
    case 'complex128':
      return 128;
    case 'string':
    case 'undefined':
      return undefined;
    default:
      return undefined;
  }
}

/** Product of ONNX dims; an empty list is a scalar (1 element). */
export function elementCount(dims: readonly bigint[]): number {
  return dims.reduce((count, dim) => count * Number(dim), 1);
}
