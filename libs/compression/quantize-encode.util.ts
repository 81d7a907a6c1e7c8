import { type NodeProto, TensorProto_DataType } from '#onnx';
import { type NameAllocator, makeNode, rawTensor, typedTensor } from './graph-builder.util.js';
import { type QuantizedTensor, dequantizeValue, quantizeLinear } from './linear-quant.util.js';
import { packNibbles } from './nibble-packing.util.js';
import { type QuantizeConfig } from './recipe.types.js';
import { type WeightEncoding } from './weight-encoding.types.js';

const DTYPE_CODE: Record<QuantizeConfig['dtype'], TensorProto_DataType> = {
  int8: TensorProto_DataType.INT8,
  uint8: TensorProto_DataType.UINT8,
  int4: TensorProto_DataType.INT4,
  uint4: TensorProto_DataType.UINT4,
};

/** Opset DequantizeLinear needs for this form: 4-bit and blocks 21, per-axis 13, per-tensor 10. */
export function dequantizeOpset(config: Pick<QuantizeConfig, 'dtype' | 'granularity'>): number {
  if (config.dtype === 'int4' || config.dtype === 'uint4' || config.granularity === 'per_block') {
    return 21;
  }
  return config.granularity === 'per_channel' ? 13 : 10;
}

/** q, scale (and zero point) constants feeding one DequantizeLinear that outputs the weight. */
export function encodeDequantize(
  name: string,
  dims: readonly number[],
  qt: QuantizedTensor,
  names: NameAllocator,
): WeightEncoding {
  const t = (suffix: string): string => names.take(`${name}__q_${suffix}`);
  const code = DTYPE_CODE[qt.dtype];
  const fourBit = qt.dtype === 'int4' || qt.dtype === 'uint4';
  const ints = (values: Int32Array): Uint8Array =>
    fourBit ? packNibbles(values) : new Uint8Array(Int8Array.from(values).buffer);
  const qName = t('weight');
  const scaleName = t('scale');
  const initializers = [
    rawTensor(qName, code, dims, ints(qt.q)),
    typedTensor(scaleName, TensorProto_DataType.FLOAT, qt.scaleDims, qt.scale),
  ];
  const inputs = [qName, scaleName];
  if (qt.zeroPoint) {
    const zpName = t('zero_point');
    initializers.push(rawTensor(zpName, code, qt.scaleDims, ints(qt.zeroPoint)));
    inputs.push(zpName);
  }
  const attrs: Record<string, number> = {};
  if (qt.axis !== null) {
    attrs.axis = qt.axis;
  }
  if (qt.blockSize !== null) {
    attrs.block_size = qt.blockSize;
  }
  const nodes = [makeNode('DequantizeLinear', inputs, [name], t('dequantize'), attrs)];
  const granularity = qt.blockSize !== null ? 'per_block' : qt.axis !== null ? 'per_channel' : 'per_tensor';
  return { kind: 'decode', initializers, nodes, opset: dequantizeOpset({ dtype: qt.dtype, granularity }) };
}

export function decodeDequantize(dims: readonly number[], qt: QuantizedTensor): Float32Array {
  const out = new Float32Array(qt.q.length);
  const index = scaleIndexer(dims, qt);
  for (let e = 0; e < out.length; e += 1) {
    const s = index(e);
    out[e] = dequantizeValue(qt.q[e]!, qt.zeroPoint ? qt.zeroPoint[s]! : 0, qt.scale[s]!);
  }
  return out;
}

function scaleIndexer(dims: readonly number[], qt: QuantizedTensor): (e: number) => number {
  if (qt.axis === null) {
    return () => 0;
  }
  const axis = qt.axis;
  const len = dims[axis] ?? 1;
  const post = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  if (qt.blockSize === null) {
    return (e) => Math.floor(e / post) % len;
  }
  const blocks = Math.ceil(len / qt.blockSize);
  const size = qt.blockSize;
  return (e) => {
    const q = e % post;
    const i = Math.floor(e / post) % len;
    const p = Math.floor(e / (post * len));
    return (p * blocks + Math.floor(i / size)) * post + q;
  };
}

/**
 * A 2-D MatMul weight W [K, N] as com.microsoft MatMulNBits: B uint8 [N, blocks, block_size / 2] (per
 * column, blocks along K, low nibble first), scales [N * blocks], zero points packed per column (left out
 * when symmetric: the kernel's default zero point is 8). Every consumer MatMul is replaced.
 */
export function encodeMatMulNBits(
  values: Float32Array,
  dims: readonly number[],
  config: QuantizeConfig,
  consumers: NodeProto[],
  names: NameAllocator,
  baseName: string,
): { encoding: WeightEncoding; decoded: Float32Array } {
  const [K, N] = dims as [number, number];
  const bs = config.blockSize;
  const blocks = Math.ceil(K / bs);
  // uint4 with zero point 8 holds the same grid as symmetric int4, which MatMulNBits cannot take.
  const qt = quantizeLinear(values, dims, 0, {
    mode: config.mode,
    dtype: 'uint4',
    granularity: 'per_block',
    blockSize: bs,
  });
  const symmetric = config.mode === 'linear_symmetric';
  const zpOf = (b: number, n: number): number => qt.zeroPoint![b * N + n]!;
  const packed = new Uint8Array(N * blocks * (bs / 2));
  const scales = new Float32Array(N * blocks);
  const zpPacked = new Uint8Array(N * Math.ceil(blocks / 2));
  for (let n = 0; n < N; n += 1) {
    for (let b = 0; b < blocks; b += 1) {
      scales[n * blocks + b] = qt.scale[b * N + n]!;
      const zp = zpOf(b, n);
      const zpByte = n * Math.ceil(blocks / 2) + (b >> 1);
      zpPacked[zpByte]! |= b & 1 ? zp << 4 : zp;
      for (let j = 0; j < bs; j += 1) {
        const k = b * bs + j;
        const q = k < K ? qt.q[k * N + n]! : zp;
        const at = (n * blocks + b) * (bs / 2) + (j >> 1);
        packed[at]! |= j & 1 ? q << 4 : q;
      }
    }
  }
  const t = (suffix: string): string => names.take(`${baseName}__nbits_${suffix}`);
  const bName = t('B');
  const sName = t('scales');
  const initializers = [
    rawTensor(bName, TensorProto_DataType.UINT8, [N, blocks, bs / 2], packed),
    typedTensor(sName, TensorProto_DataType.FLOAT, [N * blocks], scales),
  ];
  let zpName: string | undefined;
  if (!symmetric) {
    zpName = t('zero_points');
    initializers.push(rawTensor(zpName, TensorProto_DataType.UINT8, [zpPacked.length], zpPacked));
  }
  const replacements = new Map<NodeProto, NodeProto>();
  for (const node of consumers) {
    const inputs = [node.input[0]!, bName, sName, ...(zpName ? [zpName] : [])];
    replacements.set(
      node,
      makeNode(
        'MatMulNBits',
        inputs,
        [...node.output],
        node.name || t('node'),
        { K, N, bits: 4, block_size: bs, accuracy_level: config.accuracyLevel },
        'com.microsoft',
      ),
    );
  }
  return {
    encoding: { kind: 'replace_consumers', initializers, replacements },
    decoded: decodeDequantize(dims, qt),
  };
}
