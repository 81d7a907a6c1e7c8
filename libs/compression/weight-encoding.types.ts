import { type NodeProto, type SparseTensorProto, type TensorProto } from '#onnx';

/** How one weight is stored in the compressed model; the compress service splices it into the graph. */
export type WeightEncoding =
  /** New constants plus nodes whose last output is the weight's own name (decoded in the graph). */
  | { kind: 'decode'; initializers: TensorProto[]; nodes: NodeProto[]; opset: number }
  /** Same place, new dense values (pruning stored densely). */
  | { kind: 'dense'; tensor: TensorProto }
  /** A sparse_initializer named like the weight (COO, densified by ORT at load). */
  | { kind: 'sparse'; sparse: SparseTensorProto }
  /** New constants, and replacement nodes for each consumer (MatMul -> com.microsoft MatMulNBits). */
  | { kind: 'replace_consumers'; initializers: TensorProto[]; replacements: Map<NodeProto, NodeProto> };

export function encodingBytes(encoding: WeightEncoding, payload: (t: TensorProto) => number): number {
  switch (encoding.kind) {
    case 'decode':
    case 'replace_consumers':
      return encoding.initializers.reduce((sum, t) => sum + payload(t), 0);
    case 'dense':
      return payload(encoding.tensor);
    case 'sparse':
      return payload(encoding.sparse.values!) + payload(encoding.sparse.indices!);
  }
}
