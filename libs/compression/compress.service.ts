import { gzipSync } from 'node:zlib';
import { type NodeProto, type TensorProto, encodeOnnxModel, readOnnxModel } from '#onnx';
import { type CompressionResult, type TensorReport } from './compression-report.types.js';
import { NameAllocator } from './graph-builder.util.js';
import { TARGET_OPSET, defaultOpset, upgradeBlockers, upgradeOpset } from './opset-upgrade.util.js';
import { recipeHash } from './recipe-hash.util.js';
import { type Recipe } from './recipe.types.js';
import { catalogWeights } from './weight-catalog.util.js';
import { compressWeight } from './weight-compressor.util.js';
import { type WeightEncoding } from './weight-encoding.types.js';

/**
 * Compresses every weight the recipe selects and returns the new model with its report. Pure (no I/O, no
 * module state), so the coordinator can run it in worker threads. A weight that cannot take its method is
 * left unchanged and reported with `skipped`; the model is never left half-rewritten.
 */
export function compressModel(modelBytes: Uint8Array, recipe: Recipe): CompressionResult {
  const model = readOnnxModel(modelBytes);
  const graph = model.graph!;
  const opsetBefore = defaultOpset(model);
  const blockers = upgradeBlockers(model);
  const maxOpset = blockers.length === 0 ? Math.max(opsetBefore, TARGET_OPSET) : opsetBefore;
  const notes: string[] = [];
  if (blockers.length > 0) {
    notes.push(
      `opset ${opsetBefore} cannot be raised to ${TARGET_OPSET} (${blockers.join(', ')}): 4-bit indices stored as uint8, int4/blocked quantization skipped`,
    );
  }
  const names = new NameAllocator(allNames(graph));
  const tensors: TensorReport[] = [];
  const encodings = new Map<string, WeightEncoding>();
  for (const weight of catalogWeights(graph)) {
    const { report, encoding } = compressWeight(weight, recipe, { names, maxOpset });
    tensors.push(report);
    if (encoding) {
      encodings.set(weight.name, encoding);
    }
  }

  const replaced = new Map<NodeProto, NodeProto>();
  const front: NodeProto[] = [];
  const added: TensorProto[] = [];
  let neededOpset = 0;
  let usesMicrosoft = false;
  for (const encoding of encodings.values()) {
    if (encoding.kind === 'decode') {
      neededOpset = Math.max(neededOpset, encoding.opset);
      added.push(...encoding.initializers);
    } else if (encoding.kind === 'replace_consumers') {
      usesMicrosoft = true;
      added.push(...encoding.initializers);
      encoding.replacements.forEach((to, from) => replaced.set(from, to));
    } else if (encoding.kind === 'sparse') {
      graph.sparseInitializer.push(encoding.sparse);
    }
  }

  const initializers: TensorProto[] = [];
  const dropped = new Set<string>();
  for (const tensor of graph.initializer) {
    const encoding = encodings.get(tensor.name ?? '');
    if (!encoding) {
      initializers.push(tensor);
    } else if (encoding.kind === 'dense') {
      initializers.push(encoding.tensor);
    } else {
      dropped.add(tensor.name ?? '');
      if (encoding.kind === 'decode') {
        // Inputs of decode nodes are all constants, so the front of the graph is a valid position.
        front.push(...encoding.nodes);
      }
    }
  }
  const nodes: NodeProto[] = [...front];
  for (const node of graph.node) {
    const encoding = node.opType === 'Constant' ? encodings.get(node.output[0] ?? '') : undefined;
    if (!encoding) {
      nodes.push(replaced.get(node) ?? node);
    } else if (encoding.kind === 'dense') {
      const attr = node.attribute.find((a) => a.name === 'value')!;
      attr.t = encoding.tensor;
      nodes.push(node);
    } else if (encoding.kind === 'decode') {
      nodes.push(...encoding.nodes);
    }
    // sparse and replace_consumers: the Constant node goes away.
  }
  graph.node = nodes;
  graph.initializer = [...initializers, ...added];
  graph.input = graph.input.filter((input) => !dropped.has(input.name ?? ''));

  if (neededOpset > opsetBefore) {
    upgradeOpset(model, names);
  }
  if (usesMicrosoft && !model.opsetImport.some((o) => o.domain === 'com.microsoft')) {
    model.opsetImport.push({ domain: 'com.microsoft', version: 1n });
  }
  const bytes = encodeOnnxModel(model);
  const gzipSize = gzipSync(bytes).byteLength;
  const originalGzipSize = gzipSync(modelBytes).byteLength;
  const skippedTensors = tensors.filter((t) => t.skipped !== undefined).length;
  const report: CompressionResult['report'] = {
    recipeHash: recipeHash(recipe),
    opsetBefore,
    opsetAfter: defaultOpset(model),
    tensors,
    notes,
    totals: {
      sizeBytes: bytes.byteLength,
      gzipSizeBytes: gzipSize,
      originalSizeBytes: modelBytes.byteLength,
      originalGzipSizeBytes: originalGzipSize,
      ratio: bytes.byteLength / modelBytes.byteLength,
      gzipRatio: gzipSize / originalGzipSize,
      compressedTensors: tensors.length - skippedTensors,
      skippedTensors,
    },
  };
  if (recipe.name !== undefined) {
    report.recipeName = recipe.name;
  }
  return { bytes, report };
}

function allNames(graph: NonNullable<ReturnType<typeof readOnnxModel>['graph']>): string[] {
  const names: string[] = [];
  for (const node of graph.node) {
    names.push(...node.input, ...node.output);
    if (node.name) {
      names.push(node.name);
    }
  }
  for (const t of graph.initializer) {
    names.push(t.name ?? '');
  }
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    names.push(v.name ?? '');
  }
  return names;
}
