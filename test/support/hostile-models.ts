import {
  type ModelProto,
  type NodeProto,
  TensorProto_DataType,
  type ValueInfoProto,
  emptyTensorProto,
  encodeOnnxModel,
} from '#onnx';

/**
 * Models built to fail at run time, for the fault tests. Both are valid ONNX that the coordinator accepts;
 * what they do to a runner is the point.
 */

function floatValue(name: string, dims: number[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: TensorProto_DataType.FLOAT,
        shape: { dim: dims.map((d) => ({ dimValue: BigInt(d) })) },
      },
    },
    metadataProps: [],
  };
}

function node(opType: string, input: string[], output: string[]): NodeProto {
  return { opType, input, output, name: `${opType.toLowerCase()}_0`, attribute: [], metadataProps: [] };
}

/**
 * y = ReduceSum(Expand(x, [rows, 1024])): `rows` x 4 KiB of float32 allocated and written at the first
 * run (x is an input, so nothing can be folded at load). rows = 1 Mi is 4 GiB: only run it under a memory
 * limit.
 */
export function memoryHogModel(rows = 1024 * 1024): Uint8Array {
  const shape = emptyTensorProto();
  shape.name = 'shape';
  shape.dataType = TensorProto_DataType.INT64;
  shape.dims = [2n];
  shape.int64Data = [BigInt(rows), 1024n];
  const model: ModelProto = {
    irVersion: 8n,
    opsetImport: [{ domain: '', version: 17n }],
    producerName: 'mlfarm-fault-tests',
    graph: {
      name: 'memory_hog',
      node: [node('Expand', ['x', 'shape'], ['big']), node('ReduceSum', ['big'], ['y'])],
      initializer: [shape],
      sparseInitializer: [],
      input: [floatValue('x', [1, 1])],
      output: [floatValue('y', [1, 1])],
      valueInfo: [],
      quantizationAnnotation: [],
      metadataProps: [],
    },
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
  return encodeOnnxModel(model);
}
