/**
 * Optimal 1-D k-means (least squares), deterministic. Exact dynamic programming over the sorted unique
 * values weighted by their counts, with the divide-and-conquer optimisation (the optimal split point is
 * monotone in the prefix length), O(k * n * log n). The design notes measured Lloyd iterations from a
 * quantile start losing 2-3 dB of weight SQNR against this optimum, so Lloyd alone is not good enough.
 *
 * Above EXACT_LIMIT unique values (LARGE_K_LIMIT for LUTs of LARGE_K or more entries) the same exact DP
 * runs on a histogram, then Lloyd refines the centroids on all values until it reaches a fixed point.
 *
 * The histogram's bin edges are the union of quantile edges (equal weight per bin: resolution where the
 * bulk of the values is) and value-uniform edges (equal width: the tails and outliers get bins of their
 * own). Quantile bins alone merged the few large-magnitude weights of a tensor with bulk values; those
 * dominate the squared error, and at 8 bits (256 centroids over 2048 bins) that cost up to 25 dB of
 * weight SQNR on real conv weights, which 3 Lloyd steps could not recover.
 *
 * Lloyd runs on prefix sums over the sorted values, so one step costs O(k log n) rather than O(n), and it
 * iterates to convergence (capped at MAX_LLOYD_STEPS); each step can only lower the error.
 */
export const EXACT_LIMIT = 8192;
/** Quantile bins of the approximate path; as many value-uniform bins are merged in (at most twice this). */
export const HISTOGRAM_BINS = 2048;
/** LUTs this large (8-bit: k = 256) cost k/16 times more per DP point, so they leave the exact DP earlier. */
const LARGE_K = 64;
const LARGE_K_LIMIT = 2048;
const MAX_LLOYD_STEPS = 200;

/**
 * Centroids in ascending order; fewer than k when there are fewer distinct values.
 * @param exactLimit override of the exact-DP size limit (tests measure the binned path against it).
 */
export function kmeans1d(values: ArrayLike<number>, k: number, exactLimit?: number): Float64Array {
  const sorted = Float32Array.from(values).sort();
  const { xs, ws } = uniqueWithCounts(sorted);
  if (xs.length <= k) {
    return xs;
  }
  const large = k >= LARGE_K;
  const limit = exactLimit ?? (large ? LARGE_K_LIMIT : EXACT_LIMIT);
  if (xs.length <= limit) {
    return optimalCentroids(xs, ws, k);
  }
  const bins = mixedBins(xs, ws, HISTOGRAM_BINS);
  const centroids = optimalCentroids(bins.xs, bins.ws, k);
  lloyd(xs, ws, centroids);
  return centroids;
}

export function uniqueWithCounts(sorted: Float32Array): { xs: Float64Array; ws: Float64Array } {
  const xs = new Float64Array(sorted.length);
  const ws = new Float64Array(sorted.length);
  let n = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    const v = sorted[i]!;
    if (n > 0 && xs[n - 1] === v) {
      ws[n - 1]! += 1;
    } else {
      xs[n] = v;
      ws[n] = 1;
      n += 1;
    }
  }
  return { xs: xs.slice(0, n), ws: ws.slice(0, n) };
}

/**
 * Consecutive sorted values merged into bins (each its weighted mean and total weight). A bin ends where
 * a quantile edge (every total/bins of the weight) or a value-uniform edge (every (max-min)/bins) falls,
 * so there are at most 2 * bins of them, and no bin is both heavy and wide.
 */
function mixedBins(xs: Float64Array, ws: Float64Array, bins: number): { xs: Float64Array; ws: Float64Array } {
  let total = 0;
  for (let i = 0; i < ws.length; i += 1) {
    total += ws[i]!;
  }
  const n = xs.length;
  const lo = xs[0]!;
  const width = (xs[n - 1]! - lo) / bins;
  const uniformBin = (x: number): number => Math.min(bins - 1, Math.floor((x - lo) / width));
  const quantileBin = (before: number): number => Math.min(bins - 1, Math.floor((before * bins) / total));
  const bx = new Float64Array(2 * bins + 1);
  const bw = new Float64Array(2 * bins + 1);
  let count = 0;
  let sw = 0;
  let sx = 0;
  let before = 0;
  let u = uniformBin(xs[0]!);
  let q = quantileBin(0);
  for (let i = 0; i < n; i += 1) {
    const nu = uniformBin(xs[i]!);
    const nq = quantileBin(before);
    if (sw > 0 && (nu !== u || nq !== q)) {
      bx[count] = sx / sw;
      bw[count] = sw;
      count += 1;
      sw = 0;
      sx = 0;
    }
    u = nu;
    q = nq;
    sw += ws[i]!;
    sx += ws[i]! * xs[i]!;
    before += ws[i]!;
  }
  bx[count] = sx / sw;
  bw[count] = sw;
  count += 1;
  return { xs: bx.slice(0, count), ws: bw.slice(0, count) };
}

function weightedMean(xs: Float64Array, ws: Float64Array): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < xs.length; i += 1) {
    sum += ws[i]! * xs[i]!;
    total += ws[i]!;
  }
  return sum / total;
}

/** Exact DP; xs ascending and distinct, ws > 0, xs.length > k. */
function optimalCentroids(xs: Float64Array, ws: Float64Array, k: number): Float64Array {
  const n = xs.length;
  // Centre the values: the cost is Q - S^2/W, which cancels badly far from zero.
  const mean = weightedMean(xs, ws);
  const W = new Float64Array(n + 1);
  const S = new Float64Array(n + 1);
  const Q = new Float64Array(n + 1);
  for (let i = 0; i < n; i += 1) {
    const x = xs[i]! - mean;
    W[i + 1] = W[i]! + ws[i]!;
    S[i + 1] = S[i]! + ws[i]! * x;
    Q[i + 1] = Q[i]! + ws[i]! * x * x;
  }
  const cost = (a: number, b: number): number => {
    const s = S[b]! - S[a]!;
    return Q[b]! - Q[a]! - (s * s) / (W[b]! - W[a]!);
  };
  let prev = new Float64Array(n + 1);
  let cur = new Float64Array(n + 1);
  for (let i = 1; i <= n; i += 1) {
    prev[i] = cost(0, i);
  }
  // split[c][i]: start of the last cluster when the first i points form c + 1 clusters.
  const split: Int32Array[] = [new Int32Array(n + 1)];
  for (let c = 1; c < k; c += 1) {
    const arg = new Int32Array(n + 1);
    const fill = (lo: number, hi: number, optLo: number, optHi: number): void => {
      if (lo > hi) {
        return;
      }
      const mid = (lo + hi) >>> 1;
      let best = Infinity;
      let bestJ = optLo;
      const end = Math.min(mid - 1, optHi);
      for (let j = Math.max(optLo, c); j <= end; j += 1) {
        const v = prev[j]! + cost(j, mid);
        if (v < best) {
          best = v;
          bestJ = j;
        }
      }
      cur[mid] = best;
      arg[mid] = bestJ;
      fill(lo, mid - 1, optLo, bestJ);
      fill(mid + 1, hi, bestJ, optHi);
    };
    // The last layer only needs i = n.
    if (c === k - 1) {
      fill(n, n, c, n - 1);
    } else {
      fill(c + 1, n, c, n - 1);
    }
    split.push(arg);
    [prev, cur] = [cur, prev];
  }
  const centroids = new Float64Array(k);
  let end = n;
  for (let c = k - 1; c >= 0; c -= 1) {
    const start = c === 0 ? 0 : split[c]![end]!;
    centroids[c] = (S[end]! - S[start]!) / (W[end]! - W[start]!) + mean;
    end = start;
  }
  return centroids;
}

/**
 * Lloyd's algorithm on sorted distinct values, in place, to a fixed point (at most MAX_LLOYD_STEPS). With
 * prefix sums of the weights and weighted values, a step is k binary searches for the cluster edges (the
 * midpoints between neighbouring centroids) and k range means. A centroid whose cluster is empty keeps
 * its place. Consumes `ws` (turned into its prefix sums).
 */
function lloyd(xs: Float64Array, ws: Float64Array, centroids: Float64Array): void {
  const n = xs.length;
  const k = centroids.length;
  const mean = weightedMean(xs, ws);
  // W[i] / S[i]: weight and weighted centred value of xs[0 .. i) (W reuses the storage of ws).
  const S = new Float64Array(n + 1);
  const W = ws;
  let w = 0;
  for (let i = 0; i < n; i += 1) {
    S[i + 1] = S[i]! + ws[i]! * (xs[i]! - mean);
    const next = w + ws[i]!;
    W[i] = w;
    w = next;
  }
  const total = w;
  const weightBefore = (i: number): number => (i === n ? total : W[i]!);
  const edges = new Int32Array(k + 1);
  const previous = new Int32Array(k + 1).fill(-1);
  edges[k] = n;
  for (let step = 0; step < MAX_LLOYD_STEPS; step += 1) {
    // edges[j]: first value above the midpoint between centroids j - 1 and j.
    let changed = false;
    for (let j = 1; j < k; j += 1) {
      edges[j] = upperBound(xs, (centroids[j - 1]! + centroids[j]!) / 2, edges[j - 1]!);
      changed ||= edges[j] !== previous[j];
    }
    if (!changed) {
      return;
    }
    previous.set(edges);
    for (let j = 0; j < k; j += 1) {
      const a = edges[j]!;
      const b = edges[j + 1]!;
      if (b > a) {
        centroids[j] = (S[b]! - S[a]!) / (weightBefore(b) - weightBefore(a)) + mean;
      }
    }
    centroids.sort();
  }
}

/** First index at or after `from` whose value is above x (xs ascending). */
function upperBound(xs: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! > x) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}
