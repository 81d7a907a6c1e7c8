import { type GraphProto, type NodeProto, type TensorProto } from '#onnx';

export interface WeightConsumer {
  node: NodeProto;
  inputIndex: number;
}

/** A constant tensor of the main graph: an initializer or the value of a Constant node. */
export interface WeightRef {
  name: string;
  tensor: TensorProto;
  source: 'initializer' | 'constant';
  /** The Constant node, when source is 'constant'. */
  constantNode?: NodeProto;
  consumers: WeightConsumer[];
}

/**
 * PaddleOCR (paddle2onnx) models keep every weight in a Constant node (342 of 672 nodes in det) and have
 * no initializers at all, so both places are weights here.
 */
export function catalogWeights(graph: GraphProto): WeightRef[] {
  const consumers = new Map<string, WeightConsumer[]>();
  for (const node of graph.node) {
    node.input.forEach((input, inputIndex) => {
      const list = consumers.get(input) ?? [];
      list.push({ node, inputIndex });
      consumers.set(input, list);
    });
  }
  const weights: WeightRef[] = graph.initializer.map((tensor) => ({
    name: tensor.name ?? '',
    tensor,
    source: 'initializer',
    consumers: consumers.get(tensor.name ?? '') ?? [],
  }));
  for (const node of graph.node) {
    const value = node.attribute.find((a) => a.name === 'value')?.t;
    const name = node.output[0];
    if (node.opType === 'Constant' && (node.domain ?? '') === '' && value && name) {
      weights.push({
        name,
        tensor: value,
        source: 'constant',
        constantNode: node,
        consumers: consumers.get(name) ?? [],
      });
    }
  }
  return weights;
}

/**
 * Output-channel and input axes of a weight, from how its first consumer uses it. Conv [O, I, ...]: 0 and
 * 1; ConvTranspose [I, O/g, ...]: 1 and 0; MatMul B [..., K, N]: last and second last; Gemm B by transB;
 * anything else: 0 and 1 (0 for 1-D).
 */
export function weightAxes(weight: WeightRef, rank: number): { output: number; input: number } {
  const first = weight.consumers[0];
  const fallback = { output: 0, input: rank > 1 ? 1 : 0 };
  if (!first || rank < 2) {
    return fallback;
  }
  const { node, inputIndex } = first;
  switch (`${node.opType}:${inputIndex}`) {
    case 'Conv:1':
      return { output: 0, input: 1 };
    case 'ConvTranspose:1':
      return { output: 1, input: 0 };
    case 'MatMul:1':
      return { output: rank - 1, input: rank - 2 };
    case 'Gemm:1': {
      const transB = node.attribute.find((a) => a.name === 'transB')?.i ?? 0n;
      return transB === 1n ? { output: 0, input: 1 } : { output: 1, input: 0 };
    }
    default:
      return fallback;
  }
}
