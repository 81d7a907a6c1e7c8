/** One constant tensor of the model and what the recipe did to it. */
export interface TensorReport {
  name: string;
  shape: number[];
  /** e.g. `palettize(kmeans,per_grouped_channel)`, `prune(magnitude)+quantize(linear_symmetric,int8,per_channel)`; `none` when skipped. */
  method: string;
  /** Bits per weight of the stored indices / integers; 32 for float storage; null when skipped. */
  bits: number | null;
  bytesBefore: number;
  bytesAfter: number;
  /** 10 log10(sum w^2 / sum (w - w')^2) of the weight as the graph decodes it; null when lossless or skipped. */
  sqnrDb: number | null;
  /** Fraction of exact zeros after pruning (pruning recipes only). */
  sparsity?: number;
  /** Why the tensor was left as it was. */
  skipped?: string;
  /** Steps of the recipe not applied to this tensor, and why, when the rest was (e.g. `prune skipped: ...`). */
  notes?: string[];
  /** Storage form: `lut-uint4`, `lut-uint8`, `qdq-int4`, `matmul_nbits`, `sparse-int16`, `dense`. */
  storage?: string;
}

export interface CompressionTotals {
  sizeBytes: number;
  gzipSizeBytes: number;
  originalSizeBytes: number;
  originalGzipSizeBytes: number;
  /** sizeBytes / originalSizeBytes: 0.25 means 75 % smaller. */
  ratio: number;
  /** gzipSizeBytes / originalGzipSizeBytes. */
  gzipRatio: number;
  compressedTensors: number;
  skippedTensors: number;
}

export interface CompressionReport {
  recipeHash: string;
  recipeName?: string;
  /** Default-domain opset before and after (raised to 21 for 4-bit and blocked forms). */
  opsetBefore: number;
  opsetAfter: number;
  tensors: TensorReport[];
  totals: CompressionTotals;
  /** Model-level notes: opset upgrade blockers, fallbacks taken. */
  notes: string[];
}

export interface CompressionResult {
  bytes: Uint8Array;
  report: CompressionReport;
}
