// A real-looking input for OCR models, drawn here so nothing is downloaded: dark text on a light page,
// preprocessed the way PaddleOCR does (RGB / 255, ImageNet mean/std, CHW). Random inputs are meaningless
// for a text detector (its sigmoid map is ~0 everywhere), so fidelity is judged on this instead.

// 5x7 bitmap glyphs, one string of 7 rows of 5 bits per character.
const GLYPHS: Record<string, string> = {
  A: '01110100011000111111100011000110001',
  B: '11110100011000111110100011000111110',
  C: '01110100011000010000100001000101110',
  D: '11110100011000110001100011000111110',
  E: '11111100001000011110100001000011111',
  F: '11111100001000011110100001000010000',
  G: '01110100011000010111100011000101111',
  H: '10001100011000111111100011000110001',
  I: '01110001000010000100001000010001110',
  J: '00111000100001000010000101001001100',
  K: '10001100101010011000101001001010001',
  L: '10000100001000010000100001000011111',
  M: '10001110111010110101100011000110001',
  N: '10001100011100110101100111000110001',
  O: '01110100011000110001100011000101110',
  P: '11110100011000111110100001000010000',
  Q: '01110100011000110001101011001001101',
  R: '11110100011000111110101001001010001',
  S: '01111100001000001110000010000111110',
  T: '11111001000010000100001000010000100',
  U: '10001100011000110001100011000101110',
  V: '10001100011000110001100010101000100',
  W: '10001100011000110101101011010101010',
  X: '10001100010101000100010101000110001',
  Y: '10001100010101000100001000010000100',
  Z: '11111000010001000100010001000011111',
  '0': '01110100011001110101110011000101110',
  '1': '00100011000010000100001000010001110',
  '2': '01110100010000100010001000100011111',
  '3': '11111000100010000010000011000101110',
  '4': '00010001100101010010111110001000010',
  '5': '11111100001111000001000011000101110',
  '6': '00110010001000011110100011000101110',
  '7': '11111000010001000100010000100001000',
  '8': '01110100011000101110100011000101110',
  '9': '01110100011000101111000010001001100',
};

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export interface TextImage {
  dims: [1, 3, number, number];
  data: Float32Array;
  /** Fraction of pixels that are ink, to tell a test the drawing is not blank. */
  inkShare: number;
}

/** Draws each line with glyphs `scale` pixels per dot, left-aligned with a margin, then normalizes. */
export function drawTextImage(width: number, height: number, lines: string[], scale: number): TextImage {
  const ink = new Uint8Array(width * height);
  const lineHeight = 10 * scale;
  lines.forEach((line, row) => {
    [...line.toUpperCase()].forEach((char, col) => {
      const glyph = GLYPHS[char];
      if (!glyph) {
        return; // spaces and unknown characters stay blank
      }
      const x0 = 2 * scale + col * 6 * scale;
      const y0 = 2 * scale + row * lineHeight;
      for (let gy = 0; gy < 7; gy++) {
        for (let gx = 0; gx < 5; gx++) {
          if (glyph[gy * 5 + gx] !== '1') {
            continue;
          }
          for (let dy = 0; dy < scale; dy++) {
            for (let dx = 0; dx < scale; dx++) {
              const x = x0 + gx * scale + dx;
              const y = y0 + gy * scale + dy;
              if (x < width && y < height) {
                ink[y * width + x] = 1;
              }
            }
          }
        }
      }
    });
  });
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  let inkCount = 0;
  for (let i = 0; i < plane; i++) {
    // Dark grey ink on an off-white page, the same in every channel.
    const value = ink[i] ? 30 / 255 : 235 / 255;
    inkCount += ink[i]!;
    for (let c = 0; c < 3; c++) {
      data[c * plane + i] = (value - MEAN[c]!) / STD[c]!;
    }
  }
  return { dims: [1, 3, height, width], data, inkShare: inkCount / plane };
}

/** A page of text for the detector (640x640) and one line for the recognizer (48x320). */
export function ocrSampleInputs(): { det: TextImage; rec: TextImage } {
  return {
    det: drawTextImage(
      640,
      640,
      [
        'MLFARM BENCHMARKS',
        'ONNX MODELS ON',
        'EVERY MACHINE',
        '',
        'PALETTIZE 4 BIT',
        'QUANTIZE INT8',
        'PRUNE 2 OF 4',
        '',
        'LATENCY 12 MS',
        'MEMORY 240 MB',
      ],
      5,
    ),
    rec: drawTextImage(320, 48, ['HELLO 2026'], 4),
  };
}
