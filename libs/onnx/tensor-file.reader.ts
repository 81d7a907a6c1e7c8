import { readFile } from 'node:fs/promises';
import { type LoadedTensor } from './loaded-tensor.types.js';
import { parseNpy } from './npy.codec.js';
import { TensorFileError } from './tensor-file.exception.js';
import { parseTensorProto } from './tensor-proto.codec.js';

const NPY_MAGIC = Buffer.from('\x93NUMPY', 'latin1');

/**
 * Loads an input/reference tensor from disk: .npy by its magic (or its extension, so a broken .npy says
 * "bad magic" instead of a protobuf error), anything else as a serialized ONNX TensorProto.
 */
export async function readTensorFile(path: string): Promise<LoadedTensor> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new TensorFileError('READ_FAILED', path, `cannot read tensor file (${reason})`, { cause });
  }
  const looksNpy =
    bytes.subarray(0, NPY_MAGIC.length).equals(NPY_MAGIC) || path.toLowerCase().endsWith('.npy');
  return looksNpy ? parseNpy(bytes, path) : parseTensorProto(bytes, path);
}
