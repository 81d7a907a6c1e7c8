import * as ort from 'onnxruntime-node';
import {
  type ModelProto,
  type NodeProto,
  TensorProto_DataType,
  type TensorProto,
  encodeOnnxModel,
  loadedFromTensorProto,
} from '#onnx';
import { makeNode, typedTensor } from './graph-builder.util.js';

/** Deterministic pseudo-normal weights (sum of uniforms from an LCG). */
export function syntheticWeights(count: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Float32Array.from({ length: count }, () => (next() + next() + next() + next() - 2) * 0.1);
}

/** y = Identity(W): running the compressed model returns W as the graph decodes it. */
export function weightEchoModel(dims: number[], values: Float32Array, opset = 17): ModelProto {
  return model(
    [makeNode('Identity', ['W'], ['y'], 'echo')],
    [typedTensor('W', TensorProto_DataType.FLOAT, dims, values)],
    [],
    opset,
  );
}

/** y = A x W with W [K, N] an initializer; feeding A = I_K returns W. */
export function matmulModel(K: number, N: number, values: Float32Array): ModelProto {
  return model(
    [makeNode('MatMul', ['A', 'W'], ['y'], 'matmul')],
    [typedTensor('W', TensorProto_DataType.FLOAT, [K, N], values)],
    [{ name: 'A', elemType: TensorProto_DataType.FLOAT, dims: [K, K] }],
    17,
  );
}

function model(
  node: NodeProto[],
  initializer: TensorProto[],
  inputs: Array<{ name: string; elemType: number; dims: number[] }>,
  opset: number,
): ModelProto {
  return {
    irVersion: 8n,
    opsetImport: [{ domain: '', version: BigInt(opset) }],
    producerName: 'mlfarm-test',
    metadataProps: [],
    trainingInfo: [],
    functions: [],
    graph: {
      name: 'g',
      node,
      initializer,
      sparseInitializer: [],
      input: inputs.map((i) => ({
        name: i.name,
        type: {
          tensorType: { elemType: i.elemType, shape: { dim: i.dims.map((d) => ({ dimValue: BigInt(d) })) } },
        },
        metadataProps: [],
      })),
      output: [
        { name: 'y', type: { tensorType: { elemType: TensorProto_DataType.FLOAT } }, metadataProps: [] },
      ],
      valueInfo: [],
      quantizationAnnotation: [],
      metadataProps: [],
    },
  };
}

export function encode(m: ModelProto): Uint8Array {
  return encodeOnnxModel(m);
}

export async function runOnce(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor> = {},
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run(feeds);
    return out.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

export function identity(k: number): ort.Tensor {
  const data = new Float32Array(k * k);
  for (let i = 0; i < k; i += 1) {
    data[i * k + i] = 1;
  }
  return new ort.Tensor('float32', data, [k, k]);
}

/** Raw little-endian payload of an initializer, whatever its field. */
export function rawOf(t: TensorProto): Uint8Array {
  if (t.rawData && t.rawData.byteLength > 0) {
    return Uint8Array.from(t.rawData);
  }
  const data = loadedFromTensorProto(t).data as Float32Array;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) {
    return false;
  }
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  // +0 and -0 differ in bits but not as weights.
  return x.every((v, i) => v === y[i] || (a[i] === 0 && b[i] === 0));
}
