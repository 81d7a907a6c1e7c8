import { type QuantizeConfig } from './recipe.types.js';
import { axisView, forEachAlong } from './tensor-layout.util.js';

/**
 * A linearly quantized tensor as DequantizeLinear (opset 21) reads it: w = (q - zeroPoint) * scale, with
 * scale (and zero point) per tensor, per channel along `axis`, or per block of `blockSize` along `axis`.
 */
export interface QuantizedTensor {
  dtype: QuantizeConfig['dtype'];
  q: Int32Array;
  scale: Float32Array;
  /** null for symmetric signed types (the zero point is 0 and need not be stored). */
  zeroPoint: Int32Array | null;
  /** Shape of scale / zeroPoint: [] per tensor, [C] per channel, the weight's dims with dims[axis] = blocks per block. */
  scaleDims: number[];
  axis: number | null;
  blockSize: number | null;
}

export const DTYPE_RANGE: Record<QuantizeConfig['dtype'], { min: number; max: number }> = {
  int8: { min: -128, max: 127 },
  uint8: { min: 0, max: 255 },
  int4: { min: -8, max: 7 },
  uint4: { min: 0, max: 15 },
};

/**
 * @param axis channel axis for per_channel, the blocked (input) axis for per_block; ignored per tensor.
 * The float range always includes 0, so a pruned weight quantizes to exactly the zero point and decodes
 * to exactly 0.
 */
export function quantizeLinear(
  values: Float32Array,
  dims: readonly number[],
  axis: number,
  config: Pick<QuantizeConfig, 'mode' | 'dtype' | 'granularity' | 'blockSize'>,
): QuantizedTensor {
  const { scaleIndex, scaleDims, count } = scaleLayout(dims, axis, config);
  const lo = new Float64Array(count).fill(0);
  const hi = new Float64Array(count).fill(0);
  for (let e = 0; e < values.length; e += 1) {
    const s = scaleIndex[e]!;
    lo[s] = Math.min(lo[s]!, values[e]!);
    hi[s] = Math.max(hi[s]!, values[e]!);
  }
  const { min: qmin, max: qmax } = DTYPE_RANGE[config.dtype];
  const signed = qmin < 0;
  const symmetric = config.mode === 'linear_symmetric';
  const scale = new Float32Array(count);
  const zp = new Int32Array(count);
  for (let s = 0; s < count; s += 1) {
    if (symmetric) {
      // Restricted range (+-127, +-7) keeps the grid symmetric around 0; unsigned types centre at 128 / 8.
      const half = (qmax - qmin) >> 1;
      const maxAbs = Math.max(-lo[s]!, hi[s]!);
      scale[s] = maxAbs > 0 ? maxAbs / half : 1;
      zp[s] = signed ? 0 : (qmax + 1) / 2;
    } else {
      const range = hi[s]! - lo[s]!;
      scale[s] = range > 0 ? range / (qmax - qmin) : 1;
      zp[s] = Math.max(qmin, Math.min(qmax, Math.round(qmin - lo[s]! / scale[s]!)));
    }
  }
  const q = new Int32Array(values.length);
  for (let e = 0; e < values.length; e += 1) {
    const s = scaleIndex[e]!;
    q[e] = Math.max(qmin, Math.min(qmax, Math.round(values[e]! / scale[s]!) + zp[s]!));
  }
  return {
    dtype: config.dtype,
    q,
    scale,
    zeroPoint: symmetric && signed ? null : zp,
    scaleDims,
    axis: config.granularity === 'per_tensor' ? null : axis,
    blockSize: config.granularity === 'per_block' ? config.blockSize : null,
  };
}

function scaleLayout(
  dims: readonly number[],
  axis: number,
  config: Pick<QuantizeConfig, 'granularity' | 'blockSize'>,
): { scaleIndex: Int32Array; scaleDims: number[]; count: number } {
  const total = dims.reduce((a, b) => a * b, 1);
  const scaleIndex = new Int32Array(total);
  const view = axisView(dims, axis);
  switch (config.granularity) {
    case 'per_tensor':
      return { scaleIndex, scaleDims: [], count: 1 };
    case 'per_channel':
      forEachAlong(view, (e, i) => (scaleIndex[e] = i));
      return { scaleIndex, scaleDims: [view.len], count: view.len };
    case 'per_block': {
      const blocks = Math.ceil(view.len / config.blockSize);
      const { len, post } = view;
      forEachAlong(view, (e, i) => {
        const p = Math.floor(e / (len * post));
        const q = e % post;
        scaleIndex[e] = (p * blocks + Math.floor(i / config.blockSize)) * post + q;
      });
      const scaleDims = dims.map((d, i) => (i === axis ? blocks : d));
      return { scaleIndex, scaleDims, count: view.pre * blocks * post };
    }
  }
}

/** The value DequantizeLinear produces, in float32 arithmetic. */
export function dequantizeValue(q: number, zeroPoint: number, scale: number): number {
  return Math.fround((q - zeroPoint) * scale);
}
