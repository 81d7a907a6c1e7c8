import { type ModelProto, type NodeProto, TensorProto_DataType, type TensorProto } from '#onnx';
import { type NameAllocator, attribute, int64Tensor, makeNode, typedTensor } from './graph-builder.util.js';

/** 4-bit types (Cast, DequantizeLinear) and blocked DequantizeLinear need opset 21 and IR 10. */
export const TARGET_OPSET = 21;
export const TARGET_IR = 10n;

/**
 * Ops whose semantics did not change between opset 9 and 21 for models that were valid at their own
 * opset (later versions only added types or optional attributes with the old behaviour as default).
 */
const SAFE = new Set([
  'Abs',
  'Acos',
  'Add',
  'And',
  'ArgMax',
  'ArgMin',
  'Asin',
  'Atan',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Ceil',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'Conv',
  'ConvTranspose',
  'Cos',
  'CumSum',
  'DepthToSpace',
  'DequantizeLinear',
  'Div',
  'Dropout',
  'Einsum',
  'Elu',
  'Equal',
  'Erf',
  'Exp',
  'Expand',
  'Flatten',
  'Floor',
  'GRU',
  'Gather',
  'GatherElements',
  'GatherND',
  'Gemm',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Greater',
  'GreaterOrEqual',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'InstanceNormalization',
  'LRN',
  'LSTM',
  'LayerNormalization',
  'LeakyRelu',
  'Less',
  'LessOrEqual',
  'Log',
  'MatMul',
  'Max',
  'MaxPool',
  'Mean',
  'Min',
  'Mod',
  'Mul',
  'Neg',
  'NonZero',
  'Not',
  'Or',
  'PRelu',
  'Pow',
  'QuantizeLinear',
  'RNN',
  'Range',
  'Reciprocal',
  'Relu',
  'Reshape',
  'Round',
  'ScatterND',
  'Selu',
  'Shape',
  'Sigmoid',
  'Sign',
  'Sin',
  'Size',
  'Softplus',
  'Softsign',
  'SpaceToDepth',
  'Sqrt',
  'Sub',
  'Sum',
  'Tanh',
  'Tile',
  'Transpose',
  'Where',
  'Xor',
]);

const REDUCE_18 = new Set([
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);

/** Which ops block raising the default-domain opset to 21; empty when the upgrade is possible. */
export function upgradeBlockers(model: ModelProto): string[] {
  const from = defaultOpset(model);
  if (from >= TARGET_OPSET) {
    return [];
  }
  if (from < 9) {
    return [`opset ${from} < 9`];
  }
  const blockers = new Set<string>();
  for (const node of model.graph?.node ?? []) {
    const domain = node.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') {
      continue;
    }
    if (node.attribute.some((a) => a.g !== undefined || a.graphs.length > 0)) {
      blockers.add(`${node.opType} (subgraph)`);
      continue;
    }
    if (!SAFE.has(node.opType ?? '') && !isHandled(node.opType ?? '', from)) {
      blockers.add(node.opType ?? '?');
    }
    if (
      node.opType === 'Resize' &&
      attrString(node, 'coordinate_transformation_mode') === 'tf_half_pixel_for_nn'
    ) {
      blockers.add('Resize (tf_half_pixel_for_nn)');
    }
  }
  return [...blockers];
}

function isHandled(op: string, from: number): boolean {
  switch (op) {
    case 'Slice':
    case 'Clip':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax':
    case 'Split':
    case 'Pad':
      return true;
    case 'Resize':
    case 'TopK':
      return from >= 11;
    default:
      return REDUCE_18.has(op);
  }
}

/**
 * Raises the default-domain opset to 21 in place, rewriting the ops whose attributes became inputs (or,
 * for Softmax < 13, whose semantics changed). Call only when upgradeBlockers() is empty.
 */
export function upgradeOpset(model: ModelProto, names: NameAllocator): void {
  const graph = model.graph!;
  const from = defaultOpset(model);
  if (from >= TARGET_OPSET) {
    return;
  }
  const extra: TensorProto[] = [];
  const ints = (base: string, values: readonly bigint[]): string => {
    const name = names.take(base);
    extra.push(int64Tensor(name, values.map(Number)));
    return name;
  };
  const out: NodeProto[] = [];
  for (const node of graph.node) {
    const domain = node.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') {
      out.push(node);
      continue;
    }
    const op = node.opType ?? '';
    const label = node.name || node.output[0] || op;
    if (op === 'Slice' && from < 10) {
      const starts = ints(`${label}__starts`, attrInts(node, 'starts'));
      const ends = ints(`${label}__ends`, attrInts(node, 'ends'));
      const inputs = [node.input[0]!, starts, ends];
      if (hasAttr(node, 'axes')) {
        inputs.push(ints(`${label}__axes`, attrInts(node, 'axes')));
      }
      node.input = inputs;
      dropAttrs(node, ['starts', 'ends', 'axes']);
    } else if (op === 'Clip' && from < 11) {
      // Clip on float data: attributes become float scalar inputs.
      const bound = (key: string): string => {
        const a = node.attribute.find((x) => x.name === key);
        if (a?.f === undefined) {
          return '';
        }
        const name = names.take(`${label}__${key}`);
        extra.push(typedTensor(name, TensorProto_DataType.FLOAT, [], Float32Array.of(a.f)));
        return name;
      };
      node.input = [node.input[0]!, bound('min'), bound('max')];
      dropAttrs(node, ['min', 'max']);
    } else if (
      ((op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') && from < 13) ||
      (REDUCE_18.has(op) && from < 18)
    ) {
      if (hasAttr(node, 'axes')) {
        node.input = [node.input[0]!, ints(`${label}__axes`, attrInts(node, 'axes'))];
        dropAttrs(node, ['axes']);
      }
    } else if (op === 'Split' && from < 13) {
      if (hasAttr(node, 'split')) {
        node.input = [node.input[0]!, ints(`${label}__split`, attrInts(node, 'split'))];
        dropAttrs(node, ['split']);
      } else {
        node.attribute.push(attribute('num_outputs', node.output.length));
      }
    } else if (op === 'Split' && from < 18 && node.input.length < 2) {
      node.attribute.push(attribute('num_outputs', node.output.length));
    } else if (op === 'Pad' && from < 11) {
      const pads = ints(`${label}__pads`, attrInts(node, 'pads'));
      const value = node.attribute.find((a) => a.name === 'value')?.f ?? 0;
      const valueName = names.take(`${label}__value`);
      extra.push(typedTensor(valueName, TensorProto_DataType.FLOAT, [], Float32Array.of(value)));
      node.input = [node.input[0]!, pads, valueName];
      dropAttrs(node, ['pads', 'value']);
    } else if ((op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax') && from < 13) {
      const axis = Number(node.attribute.find((a) => a.name === 'axis')?.i ?? 1n);
      if (axis !== -1) {
        // Before 13 these ops worked on the input coerced to 2-D at `axis`; rebuild exactly that.
        const shape = names.take(`${label}__shape`);
        const flat = names.take(`${label}__flat`);
        const soft = names.take(`${label}__2d`);
        out.push(makeNode('Shape', [node.input[0]!], [shape], names.take(`${label}__shape_node`)));
        out.push(makeNode('Flatten', [node.input[0]!], [flat], names.take(`${label}__flatten`), { axis }));
        out.push(makeNode(op, [flat], [soft], names.take(`${label}__op`), { axis: 1 }));
        out.push(makeNode('Reshape', [soft, shape], [node.output[0]!], label));
        continue;
      }
    }
    out.push(node);
  }
  graph.node = out;
  graph.initializer.push(...extra);
  for (const opset of model.opsetImport) {
    if ((opset.domain ?? '') === '' || opset.domain === 'ai.onnx') {
      opset.version = BigInt(TARGET_OPSET);
    }
  }
  if ((model.irVersion ?? 0n) < TARGET_IR) {
    model.irVersion = TARGET_IR;
  }
}

export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  return Number(entry?.version ?? 0n);
}

function hasAttr(node: NodeProto, name: string): boolean {
  return node.attribute.some((a) => a.name === name);
}

function attrInts(node: NodeProto, name: string): bigint[] {
  return node.attribute.find((a) => a.name === name)?.ints ?? [];
}

function attrString(node: NodeProto, name: string): string | undefined {
  return node.attribute.find((a) => a.name === name)?.s?.toString('utf8');
}

function dropAttrs(node: NodeProto, names: string[]): void {
  node.attribute = node.attribute.filter((a) => !names.includes(a.name ?? ''));
}
