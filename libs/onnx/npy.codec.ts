import { type TensorElemType } from './elem-type.util.js';
import { type LoadedTensor } from './loaded-tensor.types.js';
import { TensorFileError } from './tensor-file.exception.js';
import { bytesOf, rawByteLength, typedArrayFromBytes } from './typed-array.util.js';

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');

// numpy dtype kind+size (without the byte-order char) -> onnxruntime element type.
const DTYPES: ReadonlyMap<string, Exclude<TensorElemType, 'string'>> = new Map([
  ['f2', 'float16'],
  ['f4', 'float32'],
  ['f8', 'float64'],
  ['i1', 'int8'],
  ['i2', 'int16'],
  ['i4', 'int32'],
  ['i8', 'int64'],
  ['u1', 'uint8'],
  ['u2', 'uint16'],
  ['u4', 'uint32'],
  ['u8', 'uint64'],
  ['b1', 'bool'],
]);

const DESCRS: ReadonlyMap<string, string> = new Map([...DTYPES].map(([code, type]) => [type, code]));

/** Parses a .npy file (format v1, v2 or v3): little-endian, C order, plain numeric or bool dtypes. */
export function parseNpy(bytes: Uint8Array, file = '<bytes>'): LoadedTensor {
  if (bytes.length < 10 || !MAGIC.equals(bytes.subarray(0, 6))) {
    throw new TensorFileError('BAD_MAGIC', file, 'not a .npy file (missing \\x93NUMPY magic)');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) {
      throw new TensorFileError('BAD_HEADER', file, `.npy v${major} header is cut off`);
    }
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    throw new TensorFileError(
      'UNSUPPORTED',
      file,
      `.npy format version ${major}.${bytes[7]} is not supported (1, 2, 3 are)`,
    );
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw new TensorFileError(
      'BAD_HEADER',
      file,
      `.npy header claims ${headerLength} bytes but the file has only ${bytes.length - headerStart} after it`,
    );
  }
  const header = Buffer.from(bytes.subarray(headerStart, dataStart)).toString(
    major === 3 ? 'utf8' : 'latin1',
  );
  const { descr, fortranOrder, shape } = parseHeader(header, file);

  if (fortranOrder) {
    throw new TensorFileError(
      'UNSUPPORTED',
      file,
      '.npy array is in Fortran order; save it with np.ascontiguousarray first',
    );
  }
  const elemType = dtypeOf(descr, file);
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = rawByteLength(elemType, count);
  const actual = bytes.length - dataStart;
  if (actual !== expected) {
    throw new TensorFileError(
      'SIZE_MISMATCH',
      file,
      `.npy shape (${shape.join(', ')}) of ${descr} needs ${expected} data bytes but the file has ${actual}`,
    );
  }
  const data = typedArrayFromBytes(elemType, bytes.subarray(dataStart));
  return { elemType, dims: shape, data } as LoadedTensor;
}

/** Writes a v1 .npy (little-endian, C order); header padded so data starts on a 64-byte boundary like numpy. */
export function encodeNpy(tensor: LoadedTensor): Uint8Array {
  if (tensor.elemType === 'string' || tensor.elemType === 'int4' || tensor.elemType === 'uint4') {
    throw new TensorFileError('UNSUPPORTED', '<npy>', `.npy has no dtype for ${tensor.elemType} tensors`);
  }
  const descr = `${rawByteLength(tensor.elemType, 1) === 1 ? '|' : '<'}${DESCRS.get(tensor.elemType)}`;
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const padding = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(padding % 64) + '\n';
  const prefix = Buffer.alloc(10);
  MAGIC.copy(prefix);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), bytesOf(tensor.data)]);
}

function parseHeader(
  header: string,
  file: string,
): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined) {
    const structured = /'descr'\s*:\s*\[/.test(header);
    throw new TensorFileError(
      structured ? 'UNSUPPORTED' : 'BAD_HEADER',
      file,
      structured
        ? '.npy structured (record) dtypes are not supported'
        : `.npy header has no 'descr': ${oneLine(header)}`,
    );
  }
  if (fortran === undefined || shapeText === undefined) {
    throw new TensorFileError(
      'BAD_HEADER',
      file,
      `.npy header lacks 'fortran_order' or 'shape': ${oneLine(header)}`,
    );
  }
  const parts = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const shape = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) {
    throw new TensorFileError(
      'BAD_HEADER',
      file,
      `.npy shape (${shapeText}) is not a tuple of non-negative integers`,
    );
  }
  return { descr, fortranOrder: fortran === 'True', shape };
}

function dtypeOf(descr: string, file: string): Exclude<TensorElemType, 'string'> {
  const order = descr[0] ?? '';
  const code = '<>|='.includes(order) ? descr.slice(1) : descr;
  const elemType = DTYPES.get(code === '?' ? 'b1' : code);
  if (code.startsWith('O')) {
    throw new TensorFileError(
      'UNSUPPORTED',
      file,
      `.npy dtype ${descr} holds Python objects; only numeric and bool arrays can be loaded`,
    );
  }
  if (!elemType) {
    throw new TensorFileError(
      'UNSUPPORTED',
      file,
      `.npy dtype ${descr} is not supported (numeric and bool only)`,
    );
  }
  // '=' is native order, little-endian on every platform onnxruntime-node runs on; one-byte types have no order.
  if (order === '>' && rawByteLength(elemType, 1) > 1) {
    throw new TensorFileError(
      'UNSUPPORTED',
      file,
      `.npy dtype ${descr} is big-endian; convert with arr.astype('<${code}')`,
    );
  }
  return elemType;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 120);
}
