export const TENSOR_FILE_ERROR_CODES = [
  'READ_FAILED',
  'BAD_MAGIC',
  'BAD_HEADER',
  'DECODE_FAILED',
  'UNSUPPORTED',
  'SIZE_MISMATCH',
  'EXTERNAL_DATA',
] as const;

/**
 * UNSUPPORTED covers valid files we deliberately do not load: Fortran order, big-endian or object
 * dtypes, element types onnxruntime-node cannot put in a Tensor.
 */
export type TensorFileErrorCode = (typeof TENSOR_FILE_ERROR_CODES)[number];

export class TensorFileError extends Error {
  override readonly name = 'TensorFileError';

  constructor(
    readonly code: TensorFileErrorCode,
    /** The file (or `<bytes>` when parsing an in-memory buffer) the problem is in. */
    readonly file: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${problem}`, options);
  }
}
