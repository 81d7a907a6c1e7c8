import { TensorProto_DataType } from '#onnx';
import { type NameAllocator, int64Tensor, makeNode, rawTensor, typedTensor } from './graph-builder.util.js';
import { fromFloat16Bits } from './float16.util.js';
import { packNibbles } from './nibble-packing.util.js';
import { type PalettizedTensor } from './palettize.util.js';
import { axisView } from './tensor-layout.util.js';
import { type WeightEncoding } from './weight-encoding.types.js';

/**
 * indices -> Cast(INT32) -> (+ per-channel group offset) -> Gather(flat LUT) -> (Cast float) -> (* scale)
 * -> (Reshape) -> weight. Gather rejects uint8/uint4 indices, hence the Cast. ORT constant-folds the chain
 * at session load for uint8 (opset 11+) and uint4 (opset 21) indices alike, so this saves file size, not
 * RAM and not run time; palettize.util.spec checks that the optimized graph has no Gather or Cast left.
 * @param fourBit store indices as UINT4 (needs opset 21); otherwise UINT8.
 */
export function encodePalettized(
  name: string,
  dims: readonly number[],
  p: PalettizedTensor,
  fourBit: boolean,
  names: NameAllocator,
): WeightEncoding {
  const { pre, len: channels, post } = axisView(dims, p.channelAxis);
  const channelWise = p.channelGroup !== null || p.scale !== null;
  const viewDims = channelWise ? [pre, channels, post] : [...dims];
  const t = (suffix: string): string => names.take(`${name}__pal_${suffix}`);
  const initializers = [];
  const nodes = [];

  const idxName = t('indices');
  initializers.push(
    fourBit
      ? rawTensor(idxName, TensorProto_DataType.UINT4, viewDims, packNibbles(p.indices))
      : typedTensor(idxName, TensorProto_DataType.UINT8, viewDims, p.indices),
  );
  let current = t('indices_i32');
  nodes.push(makeNode('Cast', [idxName], [current], t('cast'), { to: TensorProto_DataType.INT32 }));

  if (p.channelGroup) {
    const offsets = t('group_offsets');
    initializers.push(
      typedTensor(
        offsets,
        TensorProto_DataType.INT32,
        [channels, 1],
        p.channelGroup.map((g) => g * p.k),
      ),
    );
    const shifted = t('indices_grouped');
    nodes.push(makeNode('Add', [current, offsets], [shifted], t('add')));
    current = shifted;
  }

  const lutName = t('lut');
  const lutType =
    p.lutDtype === 'float16'
      ? TensorProto_DataType.FLOAT16
      : p.lutDtype === 'int8'
        ? TensorProto_DataType.INT8
        : TensorProto_DataType.FLOAT;
  initializers.push(typedTensor(lutName, lutType, [p.lut.length], p.lut));
  const finalSteps: Array<(input: string, output: string) => void> = [];
  if (p.lutDtype !== 'float32') {
    finalSteps.push((input, output) =>
      nodes.push(makeNode('Cast', [input], [output], t('cast_lut'), { to: TensorProto_DataType.FLOAT })),
    );
  }
  if (p.scale) {
    const scaleName = t('scale');
    initializers.push(typedTensor(scaleName, TensorProto_DataType.FLOAT, [channels, 1], p.scale));
    finalSteps.push((input, output) => nodes.push(makeNode('Mul', [input, scaleName], [output], t('mul'))));
  }
  if (channelWise) {
    const shapeName = t('shape');
    initializers.push(int64Tensor(shapeName, dims));
    finalSteps.push((input, output) =>
      nodes.push(makeNode('Reshape', [input, shapeName], [output], t('reshape'))),
    );
  }
  const gathered = finalSteps.length > 0 ? t('gathered') : name;
  nodes.push(makeNode('Gather', [lutName, current], [gathered], t('gather'), { axis: 0 }));
  current = gathered;
  finalSteps.forEach((step, i) => {
    const output = i === finalSteps.length - 1 ? name : t(`step${i}`);
    step(current, output);
    current = output;
  });
  return { kind: 'decode', initializers, nodes, opset: fourBit ? 21 : 11 };
}

/** What the graph computes, in float32 arithmetic (for the report's SQNR). */
export function decodePalettized(dims: readonly number[], p: PalettizedTensor): Float32Array {
  const view = axisView(dims, p.channelAxis);
  const out = new Float32Array(p.indices.length);
  const lutValue = lutReader(p);
  for (let pi = 0; pi < view.pre; pi += 1) {
    for (let c = 0; c < view.len; c += 1) {
      const base = (pi * view.len + c) * view.post;
      const offset = p.channelGroup ? p.channelGroup[c]! * p.k : 0;
      const s = p.scale ? p.scale[c]! : 1;
      for (let q = 0; q < view.post; q += 1) {
        const v = lutValue(offset + p.indices[base + q]!);
        out[base + q] = p.scale ? Math.fround(v * s) : v;
      }
    }
  }
  return out;
}

function lutReader(p: PalettizedTensor): (i: number) => number {
  if (p.lutDtype === 'float16') {
    // The palettizer already rounded through float16; converting back is exact.
    const f = Float32Array.from(p.lut, fromFloat16Bits);
    return (i) => f[i]!;
  }
  return (i) => p.lut[i]!;
}
