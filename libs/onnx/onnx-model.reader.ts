import { BinaryReader } from '@bufbuild/protobuf/wire';
import { ModelProto } from './generated/onnx.js';
import { checkModelEnvelope } from './model-envelope.util.js';
import { OnnxFormatError } from './onnx-format.exception.js';

/**
 * Decodes and sanity-checks an ONNX model. Never returns a half-decoded or garbage model: anything that
 * is not a model onnxruntime could plausibly load throws OnnxFormatError with a one-line reason.
 */
export function readOnnxModel(bytes: Uint8Array): ModelProto {
  checkModelEnvelope(bytes);
  const reader = new BinaryReader(bytes);
  let model: ModelProto;
  try {
    model = ModelProto.decode(reader);
  } catch (cause) {
    throw new OnnxFormatError(
      'NOT_ONNX',
      `not an ONNX model: protobuf decode failed at byte ${reader.pos} (${errorText(cause)})`,
      { cause },
    );
  }
  validateModel(model);
  return model;
}

export function encodeOnnxModel(model: ModelProto): Uint8Array {
  return ModelProto.encode(model).finish();
}

function validateModel(model: ModelProto): void {
  if ((model.irVersion ?? 0n) <= 0n) {
    throw invalid('ONNX model has no ir_version (or it is not positive)');
  }
  const graph = model.graph;
  if (!graph) {
    throw invalid('ONNX model has no graph');
  }
  if (model.opsetImport.length === 0) {
    throw invalid('ONNX model has no opset_import');
  }
  for (const opset of model.opsetImport) {
    if ((opset.version ?? 0n) <= 0n) {
      throw invalid(`ONNX model imports opset domain "${opset.domain ?? ''}" without a positive version`);
    }
  }
  graph.node.forEach((node, index) => {
    if (!node.opType) {
      throw invalid(`ONNX model node #${index}${node.name ? ` "${node.name}"` : ''} has no op_type`);
    }
  });
  if (graph.output.length === 0) {
    throw invalid('ONNX model graph has no outputs');
  }
}

function invalid(message: string): OnnxFormatError {
  return new OnnxFormatError('INVALID_MODEL', message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
