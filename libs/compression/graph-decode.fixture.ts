import { type ModelProto, type NodeProto, TensorProto_DataType as DT, type TensorProto } from '#onnx';
import { rawOf } from './compression-test.fixture.js';

/**
 * An independent JS evaluator for the constant decode chains the compressor writes (Cast, Add, Gather,
 * Mul, Reshape, DequantizeLinear) and for MatMulNBits weights, straight from the stored bytes. It shares
 * no code with the encoders, so agreement with ORT proves the stored representation means what we say.
 */
interface Value {
  dims: number[];
  data: number[];
  float: boolean;
}

export function decodeWeight(model: ModelProto, name: string): Float32Array {
  const graph = model.graph!;
  const values = new Map<string, Value>();
  for (const t of graph.initializer) {
    values.set(t.name ?? '', fromTensor(t));
  }
  for (const sp of graph.sparseInitializer) {
    const dims = sp.dims.map(Number);
    const dense = new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0);
    const v = fromTensor(sp.values!).data;
    fromTensor(sp.indices!).data.forEach((at, i) => (dense[at] = v[i]!));
    values.set(sp.values!.name ?? '', { dims, data: dense, float: true });
  }
  for (const node of graph.node) {
    if (node.opType === 'Constant') {
      values.set(node.output[0]!, fromTensor(node.attribute.find((a) => a.name === 'value')!.t!));
    } else if (node.input.every((i) => i === '' || values.has(i)) && node.opType !== 'Identity') {
      values.set(
        node.output[0]!,
        evaluate(
          node,
          node.input.map((i) => values.get(i)),
        ),
      );
    }
  }
  const v = values.get(name);
  if (!v) {
    throw new Error(`decodeWeight: ${name} is not a constant chain`);
  }
  return Float32Array.from(v.data);
}

function fromTensor(t: TensorProto): Value {
  const dims = t.dims.map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = rawOf(t);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = (i: number): number => {
    switch (t.dataType) {
      case DT.FLOAT:
        return dv.getFloat32(i * 4, true);
      case DT.FLOAT16:
        return half(dv.getUint16(i * 2, true));
      case DT.INT8:
        return dv.getInt8(i);
      case DT.UINT8:
        return dv.getUint8(i);
      case DT.INT16:
        return dv.getInt16(i * 2, true);
      case DT.INT32:
        return dv.getInt32(i * 4, true);
      case DT.INT64:
        return Number(dv.getBigInt64(i * 8, true));
      case DT.UINT4:
        return (raw[i >> 1]! >> ((i & 1) * 4)) & 15;
      case DT.INT4:
        return (((raw[i >> 1]! >> ((i & 1) * 4)) & 15) << 28) >> 28;
      case undefined:
      default:
        throw new Error(`fixture cannot read data type ${t.dataType}`);
    }
  };
  return {
    dims,
    data: Array.from({ length: count }, (_, i) => read(i)),
    float: t.dataType === DT.FLOAT || t.dataType === DT.FLOAT16,
  };
}

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 31;
  const m = bits & 1023;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}

function attrInt(node: NodeProto, name: string): number | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a?.i === undefined ? undefined : Number(a.i);
}

function evaluate(node: NodeProto, inputs: Array<Value | undefined>): Value {
  const [a, b, c] = inputs;
  switch (node.opType) {
    case 'Cast': {
      const to = attrInt(node, 'to');
      return {
        ...a!,
        data: to === DT.FLOAT ? a!.data.map(Math.fround) : [...a!.data],
        float: to === DT.FLOAT,
      };
    }
    case 'Add':
      return broadcast(a!, b!, (x, y) => x + y);
    case 'Mul':
      return broadcast(a!, b!, (x, y) => Math.fround(x * y));
    case 'Gather':
      return { dims: [...b!.dims], data: b!.data.map((i) => a!.data[i]!), float: a!.float };
    case 'Reshape':
      return { ...a!, dims: b!.data };
    case 'DequantizeLinear': {
      const rank = a!.dims.length;
      const axis = ((attrInt(node, 'axis') ?? 1) + rank) % rank;
      const block = attrInt(node, 'block_size') ?? 0;
      const post = a!.dims.slice(axis + 1).reduce((x, y) => x * y, 1);
      const len = a!.dims[axis]!;
      const scaleAt = (e: number): number => {
        if (b!.dims.length === 0) {
          return 0;
        }
        const i = Math.floor(e / post) % len;
        if (block === 0) {
          return i;
        }
        const p = Math.floor(e / (post * len));
        return (p * Math.ceil(len / block) + Math.floor(i / block)) * post + (e % post);
      };
      const data = a!.data.map((q, e) =>
        Math.fround((q - (c ? c.data[scaleAt(e)]! : 0)) * b!.data[scaleAt(e)]!),
      );
      return { dims: a!.dims, data, float: true };
    }
    case undefined:
    default:
      throw new Error(`fixture cannot evaluate ${node.opType}`);
  }
}

/** Numpy broadcasting of two tensors. */
function broadcast(a: Value, b: Value, op: (x: number, y: number) => number): Value {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: number[]): number[] => [...new Array<number>(rank - d.length).fill(1), ...d];
  const da = pad(a.dims);
  const db = pad(b.dims);
  const dims = da.map((x, i) => Math.max(x, db[i]!));
  const count = dims.reduce((x, y) => x * y, 1);
  const data = new Array<number>(count);
  for (let e = 0; e < count; e += 1) {
    let rest = e;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let d = rank - 1; d >= 0; d -= 1) {
      const coord = rest % dims[d]!;
      rest = Math.floor(rest / dims[d]!);
      ia += (da[d] === 1 ? 0 : coord) * sa;
      ib += (db[d] === 1 ? 0 : coord) * sb;
      sa *= da[d]!;
      sb *= db[d]!;
    }
    data[e] = op(a.data[ia]!, b.data[ib]!);
  }
  return { dims, data, float: a.float || b.float };
}

/** W [K, N] from a MatMulNBits node's B, scales and zero points (default 8). */
export function decodeMatMulNBits(model: ModelProto): Float32Array {
  const graph = model.graph!;
  const node = graph.node.find((n) => n.opType === 'MatMulNBits')!;
  const init = (name: string | undefined): Value | undefined => {
    const t = graph.initializer.find((x) => x.name === name);
    return t ? fromTensor(t) : undefined;
  };
  const K = attrInt(node, 'K')!;
  const N = attrInt(node, 'N')!;
  const bs = attrInt(node, 'block_size')!;
  const blocks = Math.ceil(K / bs);
  const B = init(node.input[1])!.data;
  const scales = init(node.input[2])!.data;
  const zp = init(node.input[3])?.data;
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n += 1) {
    for (let k = 0; k < K; k += 1) {
      const b = Math.floor(k / bs);
      const j = k % bs;
      const byte = B[(n * blocks + b) * (bs / 2) + (j >> 1)]!;
      const q = j & 1 ? byte >> 4 : byte & 15;
      const zByte = zp ? zp[n * Math.ceil(blocks / 2) + (b >> 1)]! : 0;
      const z = zp ? (b & 1 ? zByte >> 4 : zByte & 15) : 8;
      out[k * N + n] = Math.fround((q - z) * scales[n * blocks + b]!);
    }
  }
  return out;
}
