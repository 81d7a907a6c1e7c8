import { readFile, writeFile } from 'node:fs/promises';
import { bundledModelPath } from '#common';
import { compressModel, makeNode, normalizeRecipe, rawTensor } from '#compression';
import { TensorProto_DataType, encodeOnnxModel, readOnnxModel } from '#onnx';

/**
 * Heads for gate tests, all made from the bundled PaddleOCR detector (real model, real ONNX Runtime):
 * - slower: the same outputs, plus `convs` extra 16-channel 3x3 convolutions on the input whose mean is
 *   multiplied by 0 and added to the output, so every inference does the extra work and the outputs stay
 *   bit-identical;
 * - bigger: the same graph with an unused 1 MiB initializer (the file grows, inference does not);
 * - lessFaithful: palettized to 2 bits, so its outputs drift from the original's.
 */
export async function detBytes(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(bundledModelPath('det')));
}

function floats(n: number, seed: number): Uint8Array {
  const values = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    values[i] = (s / 2 ** 31 - 0.5) * 0.1;
  }
  return new Uint8Array(values.buffer);
}

export function slowerModel(bytes: Uint8Array, convs: number): Uint8Array {
  const model = readOnnxModel(bytes);
  const graph = model.graph!;
  const input = graph.input[0]!.name!;
  const output = graph.output[0]!.name!;
  const producer = graph.node.find((n) => n.output.includes(output))!;
  producer.output = producer.output.map((o) => (o === output ? `${output}__before_extra` : o));
  const channels = 16;
  let previous = input;
  let inChannels = 3;
  for (let i = 0; i < convs; i++) {
    const w = `extra_w${i}`;
    graph.initializer.push(
      rawTensor(
        w,
        TensorProto_DataType.FLOAT,
        [channels, inChannels, 3, 3],
        floats(channels * inChannels * 9, i + 1),
      ),
    );
    graph.node.push(
      makeNode('Conv', [previous, w], [`extra_c${i}`], `extra_conv${i}`, { pads: [1, 1, 1, 1] }),
    );
    previous = `extra_c${i}`;
    inChannels = channels;
  }
  graph.initializer.push(rawTensor('extra_zero', TensorProto_DataType.FLOAT, [], floats(1, 0).fill(0)));
  graph.node.push(
    makeNode('ReduceMean', [previous], ['extra_mean'], 'extra_mean', { keepdims: 1 }),
    makeNode('Mul', ['extra_mean', 'extra_zero'], ['extra_nothing'], 'extra_mul'),
    makeNode('Add', [`${output}__before_extra`, 'extra_nothing'], [output], 'extra_add'),
  );
  return encodeOnnxModel(model);
}

export function biggerModel(bytes: Uint8Array, extraBytes = 1024 * 1024): Uint8Array {
  const model = readOnnxModel(bytes);
  model.graph!.initializer.push(
    rawTensor('unused_padding', TensorProto_DataType.FLOAT, [extraBytes / 4], floats(extraBytes / 4, 99)),
  );
  return encodeOnnxModel(model);
}

export function lessFaithfulModel(bytes: Uint8Array): Uint8Array {
  const recipe = normalizeRecipe({ global: { palettize: { nbits: 2, mode: 'kmeans' } } });
  return compressModel(bytes, recipe).bytes;
}

export async function writeModel(path: string, bytes: Uint8Array): Promise<string> {
  await writeFile(path, bytes);
  return path;
}
