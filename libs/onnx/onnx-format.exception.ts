export const ONNX_FORMAT_ERROR_CODES = ['NOT_ONNX', 'TRUNCATED', 'INVALID_MODEL'] as const;

/**
 * NOT_ONNX: the bytes are not a protobuf ModelProto at all (text, images, random data).
 * TRUNCATED: a ModelProto that ends mid-field (interrupted download or copy).
 * INVALID_MODEL: decodes, but breaks an ONNX rule a runtime would reject it for.
 */
export type OnnxFormatErrorCode = (typeof ONNX_FORMAT_ERROR_CODES)[number];

export class OnnxFormatError extends Error {
  override readonly name = 'OnnxFormatError';

  constructor(
    readonly code: OnnxFormatErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
