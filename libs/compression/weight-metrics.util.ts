/** Weight SQNR in dB; null when the decode is exact (infinite SQNR does not survive JSON). */
export function sqnrDb(original: Float32Array, decoded: Float32Array): number | null {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < original.length; i += 1) {
    const d = original[i]! - decoded[i]!;
    signal += original[i]! * original[i]!;
    noise += d * d;
  }
  if (noise === 0) {
    return null;
  }
  return 10 * Math.log10(signal / noise);
}
