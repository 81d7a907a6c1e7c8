import { OnnxFormatError } from './onnx-format.exception.js';

// ModelProto's top-level fields and the wire type each must use (0 varint, 2 length-delimited).
const MODEL_FIELDS: ReadonlyMap<number, { name: string; wireType: number }> = new Map([
  [1, { name: 'ir_version', wireType: 0 }],
  [2, { name: 'producer_name', wireType: 2 }],
  [3, { name: 'producer_version', wireType: 2 }],
  [4, { name: 'domain', wireType: 2 }],
  [5, { name: 'model_version', wireType: 0 }],
  [6, { name: 'doc_string', wireType: 2 }],
  [7, { name: 'graph', wireType: 2 }],
  [8, { name: 'opset_import', wireType: 2 }],
  [14, { name: 'metadata_props', wireType: 2 }],
  [20, { name: 'training_info', wireType: 2 }],
  [25, { name: 'functions', wireType: 2 }],
]);

export interface Varint {
  value: number;
  next: number;
}

/** undefined when the varint runs past the end; values past 2^53 lose precision, fine for lengths/tags. */
export function readVarint(bytes: Uint8Array, at: number): Varint | undefined {
  let value = 0;
  let scale = 1;
  for (let pos = at; pos < bytes.length && pos < at + 10; pos++) {
    const byte = bytes[pos]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      return { value, next: pos + 1 };
    }
    scale *= 128;
  }
  return undefined;
}

/**
 * Walks only the top level of a would-be ModelProto, skipping over field bodies. The generic protobuf
 * decoder happily "decodes" a PNG or a text file into an empty message (unknown fields are skipped) and
 * reports a cut-off model and random bytes alike as "premature EOF"; checking that every top-level field
 * is a real ModelProto field with the right wire type tells those cases apart before decoding.
 */
export function checkModelEnvelope(bytes: Uint8Array): void {
  if (bytes.length === 0) {
    throw new OnnxFormatError('NOT_ONNX', 'not an ONNX model: the file is empty (0 bytes)');
  }
  let pos = 0;
  let fieldsSeen = 0;
  while (pos < bytes.length) {
    const tag = readVarint(bytes, pos);
    if (!tag) {
      throw notOnnxOrTruncated(fieldsSeen, pos, `field tag at byte ${pos} runs past the end of the file`);
    }
    const fieldNumber = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    const field = MODEL_FIELDS.get(fieldNumber);
    if (!field || field.wireType !== wireType) {
      throw new OnnxFormatError(
        'NOT_ONNX',
        `not an ONNX model: byte ${pos} starts field ${fieldNumber} with wire type ${wireType}, which is not a ModelProto field` +
          ` (file starts with ${describeStart(bytes)})`,
      );
    }
    const body = readVarint(bytes, tag.next);
    if (!body) {
      throw notOnnxOrTruncated(fieldsSeen, pos, `field ${field.name} at byte ${pos} is cut off`);
    }
    const end = wireType === 0 ? body.next : body.next + body.value;
    if (end > bytes.length) {
      throw notOnnxOrTruncated(
        fieldsSeen,
        pos,
        `field ${field.name} at byte ${pos} declares ${body.value} bytes but only ${bytes.length - body.next} remain` +
          ` (file is ${bytes.length} bytes)`,
      );
    }
    pos = end;
    fieldsSeen++;
  }
}

// A cut-off first field is indistinguishable from noise, so only call it truncated once a whole field parsed.
function notOnnxOrTruncated(fieldsSeen: number, at: number, detail: string): OnnxFormatError {
  return fieldsSeen > 0
    ? new OnnxFormatError('TRUNCATED', `truncated ONNX model: ${detail}`)
    : new OnnxFormatError('NOT_ONNX', `not an ONNX model: protobuf decode failed at byte ${at} (${detail})`);
}

function describeStart(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 8);
  const printable = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
  return printable
    ? JSON.stringify(Buffer.from(head).toString('latin1'))
    : `0x${Buffer.from(head).toString('hex')}`;
}
