import { type PruneConfig } from './recipe.types.js';
import { axisView } from './tensor-layout.util.js';

/**
 * Returns a pruned copy; ties are broken by element index so the result is deterministic.
 * @param dim axis the n:m groups and blocks run along (normally the consumer's input axis).
 */
export function prune(
  values: Float32Array,
  dims: readonly number[],
  dim: number,
  config: PruneConfig,
): Float32Array {
  const out = Float32Array.from(values);
  switch (config.mode) {
    case 'threshold': {
      const t = config.threshold ?? 0;
      for (let e = 0; e < out.length; e += 1) {
        if (Math.abs(out[e]!) < t) {
          out[e] = 0;
        }
      }
      return out;
    }
    case 'magnitude':
      zeroSmallest(out, Math.round(out.length * (config.targetSparsity ?? 0)));
      return out;
    case 'n_m':
      pruneNm(out, dims, dim, config.n ?? 2, config.m ?? 4);
      return out;
    case 'block':
      pruneBlocks(out, dims, dim, config.blockSize ?? 4, config.targetSparsity ?? 0);
      return out;
  }
}

/** Zeroes the `count` smallest |w| (already-zero weights count first). */
function zeroSmallest(values: Float32Array, count: number): void {
  if (count <= 0) {
    return;
  }
  const abs = new Float32Array(values.length);
  for (let e = 0; e < values.length; e += 1) {
    abs[e] = Math.abs(values[e]!);
  }
  const cut = Float32Array.from(abs).sort()[Math.min(count, values.length) - 1]!;
  let left = count;
  for (let e = 0; e < values.length && left > 0; e += 1) {
    if (abs[e]! < cut) {
      values[e] = 0;
      left -= 1;
    }
  }
  for (let e = 0; e < values.length && left > 0; e += 1) {
    if (abs[e] === cut) {
      values[e] = 0;
      left -= 1;
    }
  }
}

/**
 * In every run of m consecutive weights along `dim` (for a Conv weight [O, I, kh, kw] and dim 1: m input
 * channels of one output channel at one kernel position), the n smallest become 0; a short tail (I not a
 * multiple of m) loses its share pro rata, rounded down. Axes shorter than m are refused by pruneUnfit.
 */
function pruneNm(values: Float32Array, dims: readonly number[], dim: number, n: number, m: number): void {
  const { pre, len, post } = axisView(dims, dim);
  const at = new Int32Array(m);
  for (let p = 0; p < pre; p += 1) {
    for (let q = 0; q < post; q += 1) {
      for (let start = 0; start < len; start += m) {
        const size = Math.min(m, len - start);
        for (let j = 0; j < size; j += 1) {
          at[j] = (p * len + start + j) * post + q;
        }
        const order = Array.from(at.subarray(0, size)).sort(
          (a, b) => Math.abs(values[a]!) - Math.abs(values[b]!) || a - b,
        );
        const zeros = size === m ? n : Math.floor((size * n) / m);
        for (let j = 0; j < zeros; j += 1) {
          values[order[j]!] = 0;
        }
      }
    }
  }
}

/** Blocks of `blockSize` consecutive weights along `dim`, ranked by L2 norm; the weakest fraction become 0. */
function pruneBlocks(
  values: Float32Array,
  dims: readonly number[],
  dim: number,
  blockSize: number,
  sparsity: number,
): void {
  const { pre, len, post } = axisView(dims, dim);
  const perLine = Math.ceil(len / blockSize);
  const blocks = pre * perLine * post;
  const norms = new Float64Array(blocks);
  const blockOf = (p: number, b: number, q: number): number => (p * perLine + b) * post + q;
  for (let p = 0; p < pre; p += 1) {
    for (let i = 0; i < len; i += 1) {
      for (let q = 0; q < post; q += 1) {
        const v = values[(p * len + i) * post + q]!;
        norms[blockOf(p, Math.floor(i / blockSize), q)]! += v * v;
      }
    }
  }
  const order = Array.from({ length: blocks }, (_, b) => b).sort((a, b) => norms[a]! - norms[b]! || a - b);
  const dead = new Uint8Array(blocks);
  const count = Math.round(blocks * sparsity);
  for (let j = 0; j < count; j += 1) {
    dead[order[j]!] = 1;
  }
  for (let p = 0; p < pre; p += 1) {
    for (let i = 0; i < len; i += 1) {
      for (let q = 0; q < post; q += 1) {
        if (dead[blockOf(p, Math.floor(i / blockSize), q)]) {
          values[(p * len + i) * post + q] = 0;
        }
      }
    }
  }
}

/**
 * Why `config` cannot prune a tensor of `dims` along `dim`, or null when it can. n:m sparsity (NVIDIA's
 * 2:4 for Conv) means m consecutive input channels of one output channel at one kernel position; a
 * depthwise Conv ([C, 1, kh, kw]: one input channel per group) has no such group, and grouping across
 * kernel positions instead would be a different, unstructured pattern that no sparse kernel runs.
 */
export function pruneUnfit(dims: readonly number[], dim: number, config: PruneConfig): string | null {
  if (config.mode !== 'n_m') {
    return null;
  }
  const n = config.n ?? 2;
  const m = config.m ?? 4;
  const len = dims[dim] ?? 1;
  if (len >= m) {
    return null;
  }
  const what = len === 1 ? ' (depthwise Conv: one input channel per group)' : '';
  return `n:m ${n}:${m} needs groups of ${m} along axis ${dim}, which has length ${len}${what}; not pruned`;
}

export function sparsityOf(values: Float32Array): number {
  let zeros = 0;
  for (const v of values) {
    if (v === 0) {
      zeros += 1;
    }
  }
  return values.length > 0 ? zeros / values.length : 0;
}
