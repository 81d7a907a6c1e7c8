import { type LoadedTensor, elemTypeName, loadedFromTensorProto } from '#onnx';
import { SkipWeight } from './compression.exception.js';
import { type TensorReport } from './compression-report.types.js';
import { type NameAllocator, payloadBytes, typedTensor } from './graph-builder.util.js';
import { quantizeLinear } from './linear-quant.util.js';
import { decodePalettized, encodePalettized } from './palettize-encode.util.js';
import { palettize } from './palettize.util.js';
import { prune, pruneUnfit, sparsityOf } from './prune.util.js';
import {
  decodeDequantize,
  dequantizeOpset,
  encodeDequantize,
  encodeMatMulNBits,
} from './quantize-encode.util.js';
import { resolveConfig } from './recipe-resolve.util.js';
import { type OpCompressionConfig, type QuantizeConfig, type Recipe } from './recipe.types.js';
import { encodeSparse, sparseBytes, sparseIndexType } from './sparse-encode.util.js';
import { normalizeAxis, product } from './tensor-layout.util.js';
import { type WeightRef, weightAxes } from './weight-catalog.util.js';
import { type WeightEncoding, encodingBytes } from './weight-encoding.types.js';
import { sqnrDb } from './weight-metrics.util.js';
import { TensorProto_DataType } from '#onnx';

export interface WeightContext {
  names: NameAllocator;
  /** Highest default-domain opset the model may be raised to (its own when an upgrade is blocked). */
  maxOpset: number;
}

export interface WeightOutcome {
  report: TensorReport;
  encoding?: WeightEncoding;
}

export function compressWeight(weight: WeightRef, recipe: Recipe, ctx: WeightContext): WeightOutcome {
  const dims = weight.tensor.dims.map(Number);
  const count = product(dims);
  const bytesBefore = payloadBytes(weight.tensor);
  const report: TensorReport = {
    name: weight.name,
    shape: dims,
    method: 'none',
    bits: null,
    bytesBefore,
    bytesAfter: bytesBefore,
    sqnrDb: null,
  };
  const skip = (reason: string): WeightOutcome => ({ report: { ...report, skipped: reason } });
  const { config, via } = resolveConfig(recipe, weight);
  if (!config || (!config.prune && !config.palettize && !config.quantize)) {
    return skip(`no compression configured (${via})`);
  }
  const elemType = elemTypeName(weight.tensor.dataType);
  if (elemType !== 'float32') {
    return skip(`element type ${elemType}: only float32 weights are compressed`);
  }
  if (count < config.weightThreshold) {
    return skip(`${count} elements < weight_threshold ${config.weightThreshold}`);
  }
  let loaded: LoadedTensor;
  try {
    loaded = loadedFromTensorProto(weight.tensor, weight.name);
  } catch (error) {
    return skip(error instanceof Error ? error.message : String(error));
  }
  try {
    return applyConfig(weight, loaded.data as Float32Array, dims, config, ctx, report);
  } catch (error) {
    if (error instanceof SkipWeight) {
      return skip(error.reason);
    }
    throw error;
  }
}

function applyConfig(
  weight: WeightRef,
  original: Float32Array,
  dims: number[],
  config: OpCompressionConfig,
  ctx: WeightContext,
  report: TensorReport,
): { report: TensorReport; encoding: WeightEncoding } {
  const rank = dims.length;
  const axes = weightAxes(weight, rank);
  const methods: string[] = [];
  const notes: string[] = [];
  let values = original;
  let pruned = false;
  if (config.prune) {
    const dim = normalizeAxis(config.prune.dim ?? axes.input, rank);
    const unfit = pruneUnfit(dims, dim, config.prune);
    if (unfit === null) {
      values = prune(original, dims, dim, config.prune);
      methods.push(`prune(${config.prune.mode})`);
      pruned = true;
    } else if (!config.palettize && !config.quantize) {
      throw new SkipWeight(unfit);
    } else {
      notes.push(`prune skipped: ${unfit}`);
    }
  }
  let encoding: WeightEncoding;
  let decoded: Float32Array;
  let bits = 32;
  let storage: string;
  if (config.palettize) {
    const pc = config.palettize;
    const k = 2 ** pc.nbits;
    if (values.length <= k) {
      throw new SkipWeight(`too few elements (${values.length}) for a ${k}-entry LUT`);
    }
    const fourBit = pc.nbits <= 4 && ctx.maxOpset >= 21;
    const p = palettize(values, dims, normalizeAxis(pc.channelAxis ?? axes.output, rank), pc, pruned);
    encoding = encodePalettized(weight.name, dims, p, fourBit, ctx.names);
    decoded = decodePalettized(dims, p);
    bits = pc.nbits;
    storage = `lut-${fourBit ? 'uint4' : 'uint8'}-${pc.lutDtype}`;
    methods.push(
      `palettize(${pc.mode},${pc.granularity}${pc.granularity === 'per_grouped_channel' ? `/${pc.groupSize}` : ''})`,
    );
  } else if (config.quantize) {
    ({ encoding, decoded, storage } = quantize(weight, values, dims, config.quantize, axes, ctx));
    bits = config.quantize.dtype.endsWith('4') ? 4 : 8;
    methods.push(`quantize(${config.quantize.mode},${config.quantize.dtype},${storage.split(':')[1] ?? ''})`);
    storage = storage.split(':')[0]!;
  } else {
    // Only pruning is configured, and pruneUnfit let it through (otherwise the tensor was skipped).
    decoded = values;
    const prune = config.prune!;
    const sparse = sparseBytes(values);
    const dense = values.length * 4;
    if (prune.storage === 'sparse' || (prune.storage === 'auto' && sparse < dense)) {
      encoding = { kind: 'sparse', sparse: encodeSparse(weight.name, dims, values) };
      storage = `sparse-${sparseIndexType(values.length).name}`;
    } else {
      encoding = {
        kind: 'dense',
        tensor: typedTensor(weight.name, TensorProto_DataType.FLOAT, dims, values),
      };
      storage = 'dense';
    }
  }
  const bytesAfter = encodingBytes(encoding, payloadBytes);
  if ((config.palettize || config.quantize) && bytesAfter >= report.bytesBefore) {
    throw new SkipWeight(
      `compressed form (${bytesAfter} B) is not smaller than the original (${report.bytesBefore} B)`,
    );
  }
  const out: TensorReport = {
    ...report,
    method: methods.join('+'),
    bits,
    bytesAfter,
    sqnrDb: sqnrDb(original, decoded),
    storage,
  };
  if (pruned) {
    out.sparsity = sparsityOf(decoded);
  }
  if (notes.length > 0) {
    out.notes = notes;
  }
  return { report: out, encoding };
}

/** Returns storage as `form:granularity` so the method label names what was really used. */
function quantize(
  weight: WeightRef,
  values: Float32Array,
  dims: number[],
  qc: QuantizeConfig,
  axes: { output: number; input: number },
  ctx: WeightContext,
): { encoding: WeightEncoding; decoded: Float32Array; storage: string } {
  const rank = dims.length;
  const matmulOnly =
    weight.consumers.length > 0 &&
    weight.consumers.every((c) => c.node.opType === 'MatMul' && c.inputIndex === 1);
  if (qc.format === 'matmul_nbits' && rank === 2 && matmulOnly) {
    const { encoding, decoded } = encodeMatMulNBits(
      values,
      dims,
      qc,
      weight.consumers.map((c) => c.node),
      ctx.names,
      weight.name,
    );
    return { encoding, decoded, storage: `matmul_nbits:per_block/${qc.blockSize}` };
  }
  let granularity = qc.granularity;
  let axis = normalizeAxis(qc.channelAxis ?? axes.output, rank);
  if (granularity === 'per_block') {
    axis = axes.input;
    // A block longer than its axis (depthwise Conv: I = 1) would need one scale per weight.
    if ((dims[axis] ?? 1) < qc.blockSize) {
      granularity = rank > 0 ? 'per_channel' : 'per_tensor';
      axis = normalizeAxis(qc.channelAxis ?? axes.output, rank);
    }
  }
  const needed = dequantizeOpset({ dtype: qc.dtype, granularity });
  if (needed > ctx.maxOpset) {
    throw new SkipWeight(
      `DequantizeLinear ${qc.dtype} ${granularity} needs opset ${needed}; the model cannot be raised`,
    );
  }
  const qt = quantizeLinear(values, dims, axis, { ...qc, granularity });
  const label = granularity === 'per_block' ? `per_block/${qc.blockSize}` : granularity;
  return {
    encoding: encodeDequantize(weight.name, dims, qt, ctx.names),
    decoded: decodeDequantize(dims, qt),
    storage: `qdq-${qc.dtype}:${label}`,
  };
}
