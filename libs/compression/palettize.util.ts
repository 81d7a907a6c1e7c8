import { SkipWeight } from './compression.exception.js';
import { fromFloat16Bits, toFloat16Bits } from './float16.util.js';
import { kmeans1d } from './kmeans-1d.util.js';
import { type PalettizeConfig } from './recipe.types.js';
import { axisView, forEachAlong } from './tensor-layout.util.js';

/**
 * A palettized tensor in the form the graph stores it. Decoding element e of channel c (along
 * `channelAxis`): lut[group(c) * k + indices[e]], as float, times scale[c] when `scale` is present.
 */
export interface PalettizedTensor {
  k: number;
  /** One per element, in the weight's own order; 0 <= index < k. */
  indices: Uint8Array;
  /** groups * k entries, group-major, ascending inside a group. */
  lut: Float32Array | Uint16Array | Int8Array;
  lutDtype: PalettizeConfig['lutDtype'];
  channelAxis: number;
  /** Per channel: group number; null for one LUT per tensor. */
  channelGroup: Int32Array | null;
  /** Per channel multiplier (per-channel scale and/or the int8 LUT's scale); null when none. */
  scale: Float32Array | null;
}

/**
 * @param keepZeros reserve an exact 0 in every LUT (pruned weights must decode to exactly 0).
 */
export function palettize(
  values: Float32Array,
  dims: readonly number[],
  channelAxis: number,
  config: PalettizeConfig,
  keepZeros: boolean,
): PalettizedTensor {
  const k = 2 ** config.nbits;
  const view = axisView(dims, channelAxis);
  const channels = view.len;
  const grouped = config.granularity === 'per_grouped_channel';
  const groupSize = grouped ? Math.min(config.groupSize, channels) : channels;
  const groups = Math.ceil(channels / groupSize);

  // Per-channel scale: cluster w / max|w| of its channel, so one LUT fits channels of any range.
  const channelScale = new Float32Array(channels).fill(1);
  let work = values;
  if (config.perChannelScale) {
    const maxAbs = new Float32Array(channels);
    forEachAlong(view, (e, c) => {
      maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(values[e]!));
    });
    maxAbs.forEach((m, c) => (channelScale[c] = m > 0 ? m : 1));
    work = new Float32Array(values.length);
    forEachAlong(view, (e, c) => {
      work[e] = values[e]! / channelScale[c]!;
    });
  }

  // Gather each group's values (channels [g*size, (g+1)*size) along the axis).
  const groupOf = (c: number): number => Math.floor(c / groupSize);
  const groupCounts = new Int32Array(groups);
  forEachAlong(view, (_e, c) => {
    groupCounts[groupOf(c)]! += 1;
  });
  const groupValues = Array.from(groupCounts, (n) => new Float32Array(n));
  const fill = new Int32Array(groups);
  forEachAlong(view, (e, c) => {
    const g = groupOf(c);
    groupValues[g]![fill[g]!] = work[e]!;
    fill[g]! += 1;
  });

  const lutFloat = new Float32Array(groups * k);
  const lutScale = new Float32Array(groups).fill(1);
  const lutStored =
    config.lutDtype === 'float16'
      ? new Uint16Array(groups * k)
      : config.lutDtype === 'int8'
        ? new Int8Array(groups * k)
        : lutFloat;
  groupValues.forEach((vals, g) => {
    const centroids = padTo(groupLut(vals, k, config.mode, keepZeros), k);
    // Round the LUT to its stored form first, then assign indices against what will be decoded.
    if (config.lutDtype === 'float16') {
      centroids.forEach((v, j) => {
        const bits = toFloat16Bits(v);
        (lutStored as Uint16Array)[g * k + j] = bits;
        lutFloat[g * k + j] = fromFloat16Bits(bits);
      });
    } else if (config.lutDtype === 'int8') {
      let max = 0;
      centroids.forEach((v) => (max = Math.max(max, Math.abs(v))));
      const s = Math.fround(max > 0 ? max / 127 : 1);
      lutScale[g] = s;
      centroids.forEach((v, j) => {
        const q = Math.max(-127, Math.min(127, Math.round(v / s)));
        (lutStored as Int8Array)[g * k + j] = q;
        lutFloat[g * k + j] = q * s;
      });
    } else {
      centroids.forEach((v, j) => (lutFloat[g * k + j] = v));
    }
  });

  const indices = new Uint8Array(values.length);
  const mids = midpoints(lutFloat, k, groups);
  forEachAlong(view, (e, c) => {
    indices[e] = nearest(work[e]!, mids, groupOf(c) * (k - 1), k);
  });

  const hasScale = config.perChannelScale || config.lutDtype === 'int8';
  let scale: Float32Array | null = null;
  if (hasScale) {
    scale = new Float32Array(channels);
    for (let c = 0; c < channels; c += 1) {
      scale[c] = channelScale[c]! * lutScale[groupOf(c)]!;
    }
  }
  return {
    k,
    indices,
    lut: lutStored,
    lutDtype: config.lutDtype,
    channelAxis,
    channelGroup: grouped && groups > 1 ? Int32Array.from({ length: channels }, (_, c) => groupOf(c)) : null,
    scale,
  };
}

function groupLut(
  vals: Float32Array,
  k: number,
  mode: PalettizeConfig['mode'],
  keepZeros: boolean,
): number[] {
  switch (mode) {
    case 'unique': {
      const unique = [...new Set(vals)].sort((a, b) => a - b);
      if (unique.length > k) {
        throw new SkipWeight(`unique mode: ${unique.length} distinct values do not fit ${k} LUT entries`);
      }
      return unique;
    }
    case 'uniform': {
      let min = Infinity;
      let max = -Infinity;
      for (const v of vals) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      const lut = Array.from({ length: k }, (_, j) => (k === 1 ? min : min + ((max - min) * j) / (k - 1)));
      if (keepZeros && vals.includes(0)) {
        let at = 0;
        lut.forEach((v, j) => (at = Math.abs(v) < Math.abs(lut[at]!) ? j : at));
        lut[at] = 0;
      }
      return lut;
    }
    case 'kmeans': {
      if (keepZeros && vals.includes(0)) {
        // One entry is the exact zero; the other k - 1 cluster the surviving weights.
        const nonZero = vals.filter((v) => v !== 0);
        const rest = nonZero.length > 0 ? Array.from(kmeans1d(nonZero, k - 1)) : [];
        return [...rest, 0].sort((a, b) => a - b);
      }
      return Array.from(kmeans1d(vals, k));
    }
  }
}

/** Fills a short LUT with copies of its last entry, so every group has k entries. */
function padTo(lut: number[], k: number): number[] {
  const out = lut.length > 0 ? [...lut] : [0];
  while (out.length < k) {
    out.push(out[out.length - 1]!);
  }
  return out;
}

function midpoints(lut: Float32Array, k: number, groups: number): Float64Array {
  const mids = new Float64Array(groups * (k - 1));
  for (let g = 0; g < groups; g += 1) {
    for (let j = 0; j < k - 1; j += 1) {
      mids[g * (k - 1) + j] = (lut[g * k + j]! + lut[g * k + j + 1]!) / 2;
    }
  }
  return mids;
}

/** Binary search over the k - 1 midpoints of one group's ascending LUT. */
function nearest(v: number, mids: Float64Array, base: number, k: number): number {
  let lo = 0;
  let hi = k - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v > mids[base + mid]!) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
