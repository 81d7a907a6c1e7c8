/**
 * A compression recipe, normalized: every default filled in, keys in camelCase. The file form (JSON or
 * YAML) uses coremltools' snake_case names: `global`, `op_type_configs`, `op_name_configs`.
 */
export interface Recipe {
  name?: string;
  description?: string;
  /** Kept for reproducibility of future randomized modes; every current mode is deterministic. */
  seed: number;
  /** Config for every weight no override matches; null leaves them alone. */
  global: OpCompressionConfig | null;
  /** Keyed by the ONNX op type that consumes the weight (Conv, MatMul, Gemm...); null skips. */
  opTypeConfigs: Record<string, OpCompressionConfig | null>;
  /** Keyed by weight (tensor) name or consumer node name; wins over op type; null skips. */
  opNameConfigs: Record<string, OpCompressionConfig | null>;
}

/** One weight's treatment: optional pruning, then at most one of palettization or quantization. */
export interface OpCompressionConfig {
  /** Tensors with fewer elements are left alone (coremltools' default is 2048). */
  weightThreshold: number;
  prune?: PruneConfig;
  palettize?: PalettizeConfig;
  quantize?: QuantizeConfig;
}

export const PALETTIZE_MODES = ['kmeans', 'uniform', 'unique'] as const;
export const PALETTIZE_NBITS = [1, 2, 3, 4, 6, 8] as const;
export const PALETTIZE_GRANULARITIES = ['per_tensor', 'per_grouped_channel'] as const;
export const LUT_DTYPES = ['float32', 'float16', 'int8'] as const;

export interface PalettizeConfig {
  mode: (typeof PALETTIZE_MODES)[number];
  nbits: (typeof PALETTIZE_NBITS)[number];
  granularity: (typeof PALETTIZE_GRANULARITIES)[number];
  /** Output channels sharing one LUT (per_grouped_channel only). */
  groupSize: number;
  /** Absent: the consumer's output-channel axis (Conv 0, MatMul last, Gemm by transB). */
  channelAxis?: number;
  /** Divide each output channel by its max |w| before clustering; multiply back in the graph. */
  perChannelScale: boolean;
  lutDtype: (typeof LUT_DTYPES)[number];
}

export const QUANTIZE_MODES = ['linear_symmetric', 'linear'] as const;
export const QUANTIZE_DTYPES = ['int8', 'uint8', 'int4', 'uint4'] as const;
export const QUANTIZE_GRANULARITIES = ['per_tensor', 'per_channel', 'per_block'] as const;
export const QUANTIZE_FORMATS = ['qdq', 'matmul_nbits'] as const;
export const ACCURACY_LEVELS = [0, 1, 2, 3, 4] as const;

export interface QuantizeConfig {
  mode: (typeof QUANTIZE_MODES)[number];
  dtype: (typeof QUANTIZE_DTYPES)[number];
  granularity: (typeof QUANTIZE_GRANULARITIES)[number];
  /** Weights per scale along the input axis (per_block only). */
  blockSize: number;
  /** Absent: the consumer's output-channel axis. */
  channelAxis?: number;
  /** matmul_nbits: MatMul weights become com.microsoft MatMulNBits (4-bit, per_block); others use qdq. */
  format: (typeof QUANTIZE_FORMATS)[number];
  /** MatMulNBits compute precision: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 activations. */
  accuracyLevel: (typeof ACCURACY_LEVELS)[number];
}

export const PRUNE_MODES = ['threshold', 'magnitude', 'n_m', 'block'] as const;
export const SPARSE_STORAGE = ['auto', 'dense', 'sparse'] as const;

export interface PruneConfig {
  mode: (typeof PRUNE_MODES)[number];
  /** threshold: |w| below it becomes 0. */
  threshold?: number;
  /** magnitude / block: fraction of weights (or blocks) set to 0. */
  targetSparsity?: number;
  /** n_m: n of every m consecutive weights along `dim` are zeroed (2:4 is the usual). */
  n?: number;
  m?: number;
  /** block: consecutive weights along `dim` pruned together by L2 norm. */
  blockSize?: number;
  /** Axis the n:m groups / blocks run along; absent: the consumer's input axis. */
  dim?: number;
  /** auto: sparse_initializer only where it is smaller than dense. */
  storage: (typeof SPARSE_STORAGE)[number];
}
