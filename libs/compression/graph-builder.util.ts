import {
  type AttributeProto,
  AttributeProto_AttributeType,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
  emptyTensorProto,
} from '#onnx';

export type AttrValue = number | number[] | string | TensorProto;

/** Integer attributes: pass whole numbers; a `float:` prefix on the name marks a float attribute. */
export function attribute(name: string, value: AttrValue): AttributeProto {
  const base: AttributeProto = {
    name,
    floats: [],
    ints: [],
    strings: [],
    tensors: [],
    graphs: [],
    sparseTensors: [],
    typeProtos: [],
  };
  if (typeof value === 'number') {
    return { ...base, type: AttributeProto_AttributeType.INT, i: BigInt(value) };
  }
  if (typeof value === 'string') {
    return { ...base, type: AttributeProto_AttributeType.STRING, s: Buffer.from(value, 'utf8') };
  }
  if (Array.isArray(value)) {
    return { ...base, type: AttributeProto_AttributeType.INTS, ints: value.map(BigInt) };
  }
  return { ...base, type: AttributeProto_AttributeType.TENSOR, t: value };
}

export function makeNode(
  opType: string,
  input: string[],
  output: string[],
  name: string,
  attrs: Record<string, AttrValue> = {},
  domain?: string,
): NodeProto {
  const node: NodeProto = {
    opType,
    input,
    output,
    name,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    metadataProps: [],
  };
  if (domain) {
    node.domain = domain;
  }
  return node;
}

/** A raw_data tensor; `bytes` is copied so the model never aliases a caller's buffer. */
export function rawTensor(
  name: string,
  dataType: TensorProto_DataType,
  dims: readonly number[],
  bytes: Uint8Array,
): TensorProto {
  const proto = emptyTensorProto();
  proto.name = name;
  proto.dataType = dataType;
  proto.dims = dims.map(BigInt);
  proto.rawData = Buffer.from(bytes);
  return proto;
}

export function typedTensor(
  name: string,
  dataType: TensorProto_DataType,
  dims: readonly number[],
  data: Float32Array | Int32Array | Int8Array | Uint8Array | Uint16Array | Int16Array | BigInt64Array,
): TensorProto {
  return rawTensor(name, dataType, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

export function int64Tensor(name: string, values: readonly number[]): TensorProto {
  return typedTensor(
    name,
    TensorProto_DataType.INT64,
    [values.length],
    BigInt64Array.from(values.map(BigInt)),
  );
}

/** Hands out names no other value in the graph uses. */
export class NameAllocator {
  private readonly used: Set<string>;

  constructor(existing: Iterable<string>) {
    this.used = new Set(existing);
  }

  take(wanted: string): string {
    let name = wanted;
    for (let n = 1; this.used.has(name); n += 1) {
      name = `${wanted}_${n}`;
    }
    this.used.add(name);
    return name;
  }
}

/** Bytes the tensor's payload takes in the file (raw_data, or the typed fields at their element size). */
export function payloadBytes(tensor: TensorProto): number {
  if (tensor.rawData && tensor.rawData.byteLength > 0) {
    return tensor.rawData.byteLength;
  }
  return (
    tensor.floatData.length * 4 +
    tensor.int32Data.length * 4 +
    tensor.int64Data.length * 8 +
    tensor.doubleData.length * 8 +
    tensor.uint64Data.length * 8
  );
}
