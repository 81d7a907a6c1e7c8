import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Specs run from dist/libs/onnx; the repo root (and node_modules) is three levels up from either tree.
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const resolvedRoot = repoRoot.endsWith('dist') ? dirname(repoRoot) : repoRoot;

export const OCR_MODELS_DIR = join(resolvedRoot, 'node_modules', '@gutenye', 'ocr-models', 'assets');

export function readOcrModel(
  file: 'ch_PP-OCRv4_det_infer.onnx' | 'ch_PP-OCRv4_rec_infer.onnx' | 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
): Buffer {
  return readFileSync(join(OCR_MODELS_DIR, file));
}
