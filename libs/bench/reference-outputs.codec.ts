import { BenchError } from './bench.exception.js';
import { type MeasuredInput } from './bench.types.js';

/**
 * One output as ORT returns it: `data` is the tensor's typed array (float16 as raw Uint16 bits, bool
 * as bytes), or strings.
 */
export interface OutputTensor {
  name: string;
  dims: number[];
  elemType: string;
  data: ArrayBufferView | readonly string[];
}

export interface ReferenceHeader {
  ortVersion: string;
  inputsDigest: string;
  inputs: MeasuredInput[];
}

interface StoredOutput {
  name: string;
  dims: number[];
  elemType: string;
  /** From the start of the data section; 8-byte aligned so typed arrays can view it directly. */
  byteOffset: number;
  byteLength: number;
  /** String outputs are kept in the header (rare, small). */
  strings?: string[];
}

/*
 * File layout (little-endian): "MLFREF1\n" magic, u32 header length, UTF-8 JSON header
 * ({...ReferenceHeader, outputs: StoredOutput[]}), zero padding to 8 bytes, then each output's raw
 * bytes (8-byte aligned). One self-describing file per capture, so it can travel as a single artifact.
 */
const MAGIC = Buffer.from('MLFREF1\n', 'latin1');
const ALIGN = 8;

const ARRAYS: Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => ArrayBufferView> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export function encodeReferenceOutputs(header: ReferenceHeader, outputs: readonly OutputTensor[]): Buffer {
  let offset = 0;
  const stored: StoredOutput[] = [];
  const blobs: { offset: number; bytes: Uint8Array }[] = [];
  for (const o of outputs) {
    if (!ArrayBuffer.isView(o.data)) {
      stored.push({
        name: o.name,
        dims: o.dims,
        elemType: o.elemType,
        byteOffset: 0,
        byteLength: 0,
        strings: [...o.data],
      });
      continue;
    }
    const bytes = new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength);
    stored.push({
      name: o.name,
      dims: o.dims,
      elemType: o.elemType,
      byteOffset: offset,
      byteLength: bytes.length,
    });
    blobs.push({ offset, bytes });
    offset = align(offset + bytes.length);
  }
  const json = Buffer.from(JSON.stringify({ ...header, outputs: stored }), 'utf8');
  const dataStart = align(MAGIC.length + 4 + json.length);
  const file = Buffer.alloc(dataStart + offset);
  MAGIC.copy(file, 0);
  file.writeUInt32LE(json.length, MAGIC.length);
  json.copy(file, MAGIC.length + 4);
  for (const b of blobs) {
    file.set(b.bytes, dataStart + b.offset);
  }
  return file;
}

export function decodeReferenceOutputs(
  bytes: Uint8Array,
  file = '<bytes>',
): { header: ReferenceHeader; outputs: OutputTensor[] } {
  const bad = (why: string): BenchError =>
    new BenchError('INVALID_INPUT', `reference outputs ${file} ${why}`);
  if (bytes.length < MAGIC.length + 4 || !MAGIC.equals(bytes.subarray(0, MAGIC.length))) {
    throw bad('is not an mlfarm reference file (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(MAGIC.length, true);
  const jsonEnd = MAGIC.length + 4 + jsonLength;
  if (jsonEnd > bytes.length) {
    throw bad('is cut off in its header');
  }
  let parsed: ReferenceHeader & { outputs: StoredOutput[] };
  try {
    parsed = JSON.parse(
      Buffer.from(bytes.subarray(MAGIC.length + 4, jsonEnd)).toString('utf8'),
    ) as typeof parsed;
  } catch {
    throw bad('has a header that is not JSON');
  }
  const dataStart = align(jsonEnd);
  const outputs = parsed.outputs.map((o): OutputTensor => {
    if (o.strings !== undefined) {
      return { name: o.name, dims: o.dims, elemType: o.elemType, data: o.strings };
    }
    const Ctor = ARRAYS[o.elemType];
    if (Ctor === undefined) {
      throw bad(`holds output '${o.name}' of unsupported type ${o.elemType}`);
    }
    const start = dataStart + o.byteOffset;
    if (start + o.byteLength > bytes.length) {
      throw bad(`is cut off in output '${o.name}'`);
    }
    // Copied into a fresh buffer: the file's own buffer may not be aligned for the element size.
    const copy = new Uint8Array(bytes.subarray(start, start + o.byteLength)).buffer;
    const elemBytes = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    return {
      name: o.name,
      dims: o.dims,
      elemType: o.elemType,
      data: new Ctor(copy, 0, o.byteLength / elemBytes),
    };
  });
  const { ortVersion, inputsDigest, inputs } = parsed;
  return { header: { ortVersion, inputsDigest, inputs }, outputs };
}
