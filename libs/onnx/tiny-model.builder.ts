import {
  type GraphProto,
  type ModelProto,
  type NodeProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from './generated/onnx.js';
import { type Dim } from './tensor-info.util.js';
import { tensorFromFloat32 } from './tensor-proto.codec.js';

export interface TinyModelOptions {
  /** Added to x before the Relu; its length is the feature size. Default [1, -2, 0.5, -0.25]. */
  bias?: readonly number[];
  /** First dim of x and y: 1 by default, a string makes it symbolic (dynamic batch). */
  batch?: number | string;
  /** Default 17: old enough for every onnxruntime build, new enough to be realistic. */
  opsetVersion?: number;
  /** Default 8 (ONNX 1.10+), which onnxruntime 1.x loads everywhere. */
  irVersion?: number;
}

const DEFAULT_BIAS = [1, -2, 0.5, -0.25];

/**
 * y = Relu(x + bias), x and y float32 [batch, bias.length]. Small enough to build in microseconds, yet
 * it has an initializer and two real kernels, so a session that runs it proves an execution provider
 * works rather than just that it was named.
 */
export function buildTinyModel(options: TinyModelOptions = {}): ModelProto {
  const bias = options.bias ?? DEFAULT_BIAS;
  const dims: Dim[] = [options.batch ?? 1, bias.length];
  const graph: GraphProto = {
    name: 'mlfarm_tiny',
    node: [node('Add', ['x', 'bias'], ['sum']), node('Relu', ['sum'], ['y'])],
    initializer: [tensorFromFloat32('bias', [bias.length], bias)],
    sparseInitializer: [],
    input: [float32Value('x', dims)],
    output: [float32Value('y', dims)],
    valueInfo: [],
    quantizationAnnotation: [],
    metadataProps: [],
  };
  return {
    irVersion: BigInt(options.irVersion ?? 8),
    opsetImport: [{ domain: '', version: BigInt(options.opsetVersion ?? 17) }],
    producerName: 'mlfarm',
    graph,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}

function node(opType: string, input: string[], output: string[]): NodeProto {
  return { opType, input, output, name: `${opType.toLowerCase()}_0`, attribute: [], metadataProps: [] };
}

function float32Value(name: string, dims: readonly Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: TensorProto_DataType.FLOAT,
        shape: {
          dim: dims.map((d) =>
            typeof d === 'number' ? { dimValue: BigInt(d) } : d === null ? {} : { dimParam: d },
          ),
        },
      },
    },
    metadataProps: [],
  };
}
