// Writes the drawn OCR inputs as .npy files, for `mlfarm bench --input x=FILE`:
//   node dist/scripts/make-text-inputs.js [outDir]   (default .mlfarm/inputs)
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ocrSampleInputs } from '#bench';
import { encodeNpy } from '#onnx';

const outDir = resolve(process.argv[2] ?? '.mlfarm/inputs');
await mkdir(outDir, { recursive: true });
const { det, rec } = ocrSampleInputs();
for (const [name, image] of [
  ['text-page-640.npy', det],
  ['text-line-48x320.npy', rec],
] as const) {
  const path = join(outDir, name);
  await writeFile(path, encodeNpy({ elemType: 'float32', dims: [...image.dims], data: image.data }));
  process.stdout.write(`${path} ${image.dims.join('x')} ink ${(image.inkShare * 100).toFixed(1)}%\n`);
}
