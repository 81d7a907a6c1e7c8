import { type TypeProto, type ValueInfoProto } from './generated/onnx.js';
import { elemTypeName } from './elem-type.util.js';

/** One dimension: a fixed size, the symbolic name (dim_param, e.g. 'batch'), or null when unnamed and unknown. */
export type Dim = number | string | null;

export interface TensorInfo {
  name: string;
  /** onnxruntime's type name for tensors ('float32', 'int64', ...); 'sequence', 'map', 'optional' otherwise. */
  elemType: string;
  dims: Dim[];
  /** Set when the model gives no shape at all, so `dims: []` would wrongly claim a scalar. */
  unknownRank?: true;
}

export function isDynamic(info: TensorInfo): boolean {
  return info.unknownRank === true || info.dims.some((dim) => typeof dim !== 'number');
}

export function tensorInfo(value: ValueInfoProto): TensorInfo {
  const name = value.name ?? '';
  const tensor = value.type?.tensorType ?? value.type?.sparseTensorType;
  if (!tensor) {
    return { name, elemType: describeNonTensor(value.type), dims: [], unknownRank: true };
  }
  const elemType = elemTypeName(tensor.elemType);
  if (!tensor.shape) {
    return { name, elemType, dims: [], unknownRank: true };
  }
  const dims = tensor.shape.dim.map((dim): Dim => {
    if (dim.dimValue !== undefined) {
      return Number(dim.dimValue);
    }
    return dim.dimParam ? dim.dimParam : null;
  });
  return { name, elemType, dims };
}

function describeNonTensor(type: TypeProto | undefined): string {
  if (type?.sequenceType) {
    return 'sequence';
  }
  if (type?.mapType) {
    return 'map';
  }
  if (type?.optionalType) {
    return 'optional';
  }
  return 'unknown';
}
