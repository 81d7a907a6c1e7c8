import { type Fidelity, type OutputFidelity } from './bench.types.js';
import { type OutputTensor } from './reference-outputs.codec.js';

/**
 * SNR and PSNR are clamped to +-SNR_CAP_DB: identical outputs have zero noise (SNR = +Infinity), which
 * JSON, IPC and Prometheus gauges cannot carry, so they report +200 dB, far above anything float32
 * round-off reaches (~140 dB), and a zero reference against a non-zero output reports -200 dB. A cap
 * rather than null keeps the field always a number that sorts and thresholds the right way.
 */
export const SNR_CAP_DB = 200;
/** The k of top-k agreement. */
const TOP_K = 5;

export type FidelityMetrics = Omit<Fidelity, 'inputsMatch' | 'referenceOrtVersion'>;

interface Sums {
  n: number;
  dot: number;
  rr: number;
  gg: number;
  noise: number;
  peak: number;
  maxAbs: number;
}

const emptySums = (): Sums => ({ n: 0, dot: 0, rr: 0, gg: 0, noise: 0, peak: 0, maxAbs: 0 });

/**
 * Compares each reference output with the same-named candidate output. Pure; outputs that cannot be
 * compared are reported as mismatches (never thrown), and force the aggregate to its worst values.
 */
export function computeFidelity(ref: readonly OutputTensor[], got: readonly OutputTensor[]): FidelityMetrics {
  const gotByName = new Map(got.map((o) => [o.name, o]));
  const outputs: OutputFidelity[] = [];
  const total = emptySums();
  let rows = 0;
  let top1 = 0;
  let rows5 = 0;
  let top5 = 0;
  for (const r of ref) {
    const g = gotByName.get(r.name);
    const why = mismatchReason(r, g);
    if (why !== undefined || g === undefined) {
      outputs.push(worst(r.name, why ?? 'missing'));
      continue;
    }
    const a = toNumbers(r);
    const b = toNumbers(g);
    const { sums, nonFinite } = accumulate(a, b);
    addSums(total, sums);
    const row: OutputFidelity = { name: r.name, ...metrics(sums) };
    const topk = looksLikeClassScores(r) ? topKAgreement(a, b, r.dims.at(-1)!) : undefined;
    if (topk !== undefined) {
      row.top1Agreement = topk.top1 / topk.rows;
      rows += topk.rows;
      top1 += topk.top1;
      if (topk.top5 !== undefined) {
        row.top5Agreement = topk.top5 / topk.rows;
        rows5 += topk.rows;
        top5 += topk.top5;
      }
    }
    if (nonFinite > 0) {
      row.nonFiniteMismatches = nonFinite;
    }
    outputs.push(row);
  }
  for (const g of got) {
    if (!ref.some((r) => r.name === g.name)) {
      outputs.push(worst(g.name, 'not in the reference'));
    }
  }
  const mismatchedOutputs = outputs.filter((o) => o.mismatch !== undefined).map((o) => o.name);
  const aggregate = mismatchedOutputs.length > 0 ? worstMetrics() : metrics(total);
  return {
    ...aggregate,
    ...(rows > 0 && { top1Agreement: top1 / rows }),
    ...(rows5 > 0 && { top5Agreement: top5 / rows5 }),
    outputs,
    mismatchedOutputs,
  };
}

/**
 * "Looks like class scores": a float output of rank 2 ([N, classes]) or 3 ([N, steps, classes], e.g.
 * PaddleOCR rec's per-timestep character scores) with at least 2 classes in the last dim. Rank 4 and
 * above are spatial maps ([N, C, H, W]: the last dim is the image width, an argmax over pixels means
 * nothing, e.g. PaddleOCR det's probability map); integer outputs are already labels or indices.
 */
export function looksLikeClassScores(o: Pick<OutputTensor, 'dims' | 'elemType'>): boolean {
  const rank = o.dims.length;
  return (rank === 2 || rank === 3) && (o.dims.at(-1) ?? 0) >= 2 && o.elemType.startsWith('float');
}

function mismatchReason(r: OutputTensor, g: OutputTensor | undefined): string | undefined {
  if (g === undefined) {
    return 'missing from the candidate outputs';
  }
  if (!ArrayBuffer.isView(r.data) || !ArrayBuffer.isView(g.data)) {
    return 'string outputs are not compared';
  }
  if (r.dims.length !== g.dims.length || r.dims.some((d, i) => d !== g.dims[i])) {
    return `shape [${g.dims.join(',')}] differs from the reference [${r.dims.join(',')}]`;
  }
  if (r.elemType !== g.elemType) {
    return `type ${g.elemType} differs from the reference ${r.elemType}`;
  }
  return undefined;
}

function accumulate(a: ArrayLike<number>, b: ArrayLike<number>): { sums: Sums; nonFinite: number } {
  const s = emptySums();
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const r = a[i]!;
    const g = b[i]!;
    if (!Number.isFinite(r) || !Number.isFinite(g)) {
      // The same NaN/Inf on both sides agrees; anything else is counted, not averaged in.
      if (!(Object.is(r, g) || (Number.isNaN(r) && Number.isNaN(g)))) {
        nonFinite++;
      }
      continue;
    }
    const d = r - g;
    s.n++;
    s.dot += r * g;
    s.rr += r * r;
    s.gg += g * g;
    s.noise += d * d;
    s.peak = Math.max(s.peak, Math.abs(r));
    s.maxAbs = Math.max(s.maxAbs, Math.abs(d));
  }
  return { sums: s, nonFinite };
}

function addSums(into: Sums, s: Sums): void {
  into.n += s.n;
  into.dot += s.dot;
  into.rr += s.rr;
  into.gg += s.gg;
  into.noise += s.noise;
  into.peak = Math.max(into.peak, s.peak);
  into.maxAbs = Math.max(into.maxAbs, s.maxAbs);
}

function metrics(s: Sums): Pick<OutputFidelity, 'cosine' | 'snrDb' | 'psnrDb' | 'maxAbsError'> {
  let cosine: number;
  if (s.rr === 0 || s.gg === 0) {
    cosine = s.rr === s.gg ? 1 : 0;
  } else {
    // Clamped: round-off can put the ratio a hair above 1.
    cosine = Math.max(-1, Math.min(1, s.dot / Math.sqrt(s.rr * s.gg)));
  }
  const mse = s.n > 0 ? s.noise / s.n : 0;
  return {
    cosine,
    snrDb: decibels(s.rr, s.noise),
    psnrDb: decibels(s.peak * s.peak, mse),
    maxAbsError: s.maxAbs,
  };
}

/** 10 log10(signal / noise), clamped; zero noise is +cap (identical), zero signal with noise is -cap. */
function decibels(signal: number, noise: number): number {
  if (noise === 0) {
    return SNR_CAP_DB;
  }
  if (signal === 0) {
    return -SNR_CAP_DB;
  }
  return Math.max(-SNR_CAP_DB, Math.min(SNR_CAP_DB, 10 * Math.log10(signal / noise)));
}

function worstMetrics(): Pick<OutputFidelity, 'cosine' | 'snrDb' | 'psnrDb' | 'maxAbsError'> {
  return { cosine: 0, snrDb: -SNR_CAP_DB, psnrDb: -SNR_CAP_DB, maxAbsError: Number.MAX_VALUE };
}

function worst(name: string, mismatch: string): OutputFidelity {
  return { name, ...worstMetrics(), mismatch };
}

function topKAgreement(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  classes: number,
): { rows: number; top1: number; top5?: number } | undefined {
  const rows = Math.floor(a.length / classes);
  if (rows === 0) {
    return undefined;
  }
  let top1 = 0;
  let top5 = 0;
  for (let row = 0; row < rows; row++) {
    const start = row * classes;
    const refBest = argmax(a, start, classes);
    if (argmax(b, start, classes) === refBest) {
      top1++;
    }
    // The reference's best class is in the candidate's top k when fewer than k classes beat it there.
    const score = b[start + refBest]!;
    let above = 0;
    for (let c = 0; c < classes && above < TOP_K; c++) {
      if (b[start + c]! > score) {
        above++;
      }
    }
    if (above < TOP_K) {
      top5++;
    }
  }
  return classes > TOP_K ? { rows, top1, top5 } : { rows, top1 };
}

/** First index of the largest value; NaN never wins. */
function argmax(x: ArrayLike<number>, start: number, length: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < length; c++) {
    const v = x[start + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** Every numeric output as numbers: float16 bits decoded, 64-bit integers converted, bool as 0/1. */
function toNumbers(o: OutputTensor): ArrayLike<number> {
  const data = o.data as ArrayBufferView;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return Float64Array.from(data, (v) => Number(v));
  }
  if (o.elemType === 'float16' && data instanceof Uint16Array) {
    return Float64Array.from(data, halfToNumber);
  }
  return data as unknown as ArrayLike<number>;
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exp === 0) {
    return sign * mantissa * 2 ** -24;
  }
  if (exp === 0x1f) {
    return mantissa === 0 ? sign * Infinity : NaN;
  }
  return sign * (1 + mantissa / 1024) * 2 ** (exp - 15);
}
