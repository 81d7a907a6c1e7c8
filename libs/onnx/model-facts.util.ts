import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type GraphProto, type ModelProto, type NodeProto, type TensorProto } from './generated/onnx.js';
import { elemTypeBits, elementCount } from './elem-type.util.js';
import { readOnnxModel } from './onnx-model.reader.js';
import { type TensorInfo, tensorInfo } from './tensor-info.util.js';

export interface OpsetFact {
  /** '' is the default ONNX domain (ai.onnx). */
  domain: string;
  version: number;
}

export interface ModelFacts {
  sizeBytes: number;
  /** gzip at zlib's default level (6): what a transfer or an artifact store would typically see. */
  gzipSizeBytes: number;
  sha256: string;
  irVersion: number;
  /** producer_name and producer_version joined by a space, '' when the exporter left both out. */
  producer: string;
  opsets: OpsetFact[];
  /** Feeds the caller must supply: graph inputs that are not initializers, as onnxruntime reports them. */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Top-level nodes by op type, 'domain:OpType' outside the default domain; subgraph bodies not counted. */
  opHistogram: Record<string, number>;
  nodeCount: number;
  /**
   * Elements of every weight tensor: initializers (not those that are graph inputs, from IR 4 on) and the
   * tensors of top-level Constant nodes, where exporters such as Paddle2ONNX put all weights. Small shape
   * constants count too; they are noise next to the weights.
   */
  parameterCount: number;
  /** Bytes of those same tensors as stored (raw_data, or typed fields at their element width). */
  initializerBytes: number;
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

// Before IR 4 every initializer had to be listed as a graph input too, so that listing says nothing there.
const FIRST_IR_WITH_OPTIONAL_INITIALIZER_INPUTS = 4;

/** Pass `model` when the bytes were already decoded to skip a second decode. */
export function modelFacts(bytes: Uint8Array, model: ModelProto = readOnnxModel(bytes)): ModelFacts {
  const graph: GraphProto = model.graph ?? emptyGraph();
  const irVersion = Number(model.irVersion ?? 0n);
  const initializerNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  const inputNames = new Set(graph.input.map((v) => v.name ?? ''));
  const countsAsParameter = (name: string | undefined): boolean =>
    irVersion < FIRST_IR_WITH_OPTIONAL_INITIALIZER_INPUTS || !inputNames.has(name ?? '');

  let parameterCount = 0;
  let initializerBytes = 0;
  for (const tensor of graph.initializer) {
    if (countsAsParameter(tensor.name)) {
      parameterCount += elementCount(tensor.dims);
    }
    initializerBytes += storedBytes(tensor);
  }
  for (const sparse of graph.sparseInitializer) {
    if (countsAsParameter(sparse.values?.name)) {
      parameterCount += elementCount(sparse.dims);
    }
    initializerBytes +=
      (sparse.values ? storedBytes(sparse.values) : 0) + (sparse.indices ? storedBytes(sparse.indices) : 0);
  }

  const opHistogram: Record<string, number> = {};
  for (const node of graph.node) {
    const domain = node.domain ?? '';
    if (node.opType === 'Constant' && DEFAULT_DOMAINS.has(domain)) {
      for (const constant of constantTensors(node)) {
        parameterCount += elementCount(constant.dims);
        initializerBytes += constant.tensors.reduce((sum, t) => sum + storedBytes(t), 0);
      }
    }
    const key = DEFAULT_DOMAINS.has(domain) ? (node.opType ?? '') : `${domain}:${node.opType ?? ''}`;
    opHistogram[key] = (opHistogram[key] ?? 0) + 1;
  }

  return {
    sizeBytes: bytes.byteLength,
    gzipSizeBytes: gzipSync(bytes).byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    irVersion,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: model.opsetImport.map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0n) })),
    inputs: graph.input.filter((v) => !initializerNames.has(v.name ?? '')).map(tensorInfo),
    outputs: graph.output.map(tensorInfo),
    opHistogram,
    nodeCount: graph.node.length,
    parameterCount,
    initializerBytes,
  };
}

// A sparse Constant counts its dense shape, like sparse initializers, but stores only values and indices.
function constantTensors(node: NodeProto): { dims: bigint[]; tensors: TensorProto[] }[] {
  return node.attribute.flatMap((attribute) => {
    if (attribute.name === 'value' && attribute.t) {
      return [{ dims: attribute.t.dims, tensors: [attribute.t] }];
    }
    if (attribute.name === 'sparse_value' && attribute.sparseTensor) {
      const { values, indices, dims } = attribute.sparseTensor;
      return [{ dims, tensors: [values, indices].filter((t) => t !== undefined) }];
    }
    return [];
  });
}

function storedBytes(tensor: TensorProto): number {
  if (tensor.rawData && tensor.rawData.byteLength > 0) {
    return tensor.rawData.byteLength;
  }
  if (tensor.stringData.length > 0) {
    return tensor.stringData.reduce((sum, s) => sum + s.byteLength, 0);
  }
  const lengthEntry = tensor.externalData.find((e) => e.key === 'length');
  if (lengthEntry?.value) {
    return Number(lengthEntry.value);
  }
  return Math.ceil((elementCount(tensor.dims) * (elemTypeBits(tensor.dataType) ?? 0)) / 8);
}

function emptyGraph(): GraphProto {
  return {
    node: [],
    initializer: [],
    sparseInitializer: [],
    input: [],
    output: [],
    valueInfo: [],
    quantizationAnnotation: [],
    metadataProps: [],
  };
}
