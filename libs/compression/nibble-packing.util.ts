/** ONNX 4-bit layout: two elements per byte, the first in the low nibble; values 0..15 (two's complement for INT4). */
export function packNibbles(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i]! & 0x0f;
    out[i >> 1]! |= i & 1 ? v << 4 : v;
  }
  return out;
}

export function unpackNibbles(bytes: Uint8Array, count: number, signed = false): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i += 1) {
    const v = i & 1 ? bytes[i >> 1]! >> 4 : bytes[i >> 1]! & 0x0f;
    out[i] = signed && v >= 8 ? v - 16 : v;
  }
  return out;
}
