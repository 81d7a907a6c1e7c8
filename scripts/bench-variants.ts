// The compression table of issue 3: each recipe on the PaddleOCR detector and recognizer, measured against
// the original on a real (drawn) text input, in interleaved rounds of fresh runner children.
//   node dist/scripts/bench-variants.js [--rounds=3] [--iterations=15]
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  type MeasurementResult,
  type OutputTensor,
  type RunnerTask,
  captureReferenceOutputs,
  computeFidelity,
  decodeReferenceOutputs,
  defaultScenario,
  ocrSampleInputs,
  quantileSorted,
  runInChildProcess,
} from '#bench';
import { type BundledModel, bundledModelPath } from '#common';
import { compressModel, parseRecipe } from '#compression';
import { encodeNpy } from '#onnx';

const RECIPES = [
  'palettize-4bit-per-tensor',
  'palettize-4bit-grouped16',
  'palettize-8bit',
  'quantize-int8-per-channel',
  'quantize-int4-block32',
  'prune-50',
  'prune-2of4',
  'prune50-palettize-4bit-grouped16',
];
const arg = (name: string, fallback: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const ROUNDS = arg('rounds', 3);
const ITERATIONS = arg('iterations', 15);

interface Candidate {
  name: string;
  path: string;
  sizeBytes: number;
  gzipBytes: number;
  compressMs: number;
  outputsPath: string;
  runs: MeasurementResult[];
}

const median = (values: number[]): number =>
  quantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );

function maskIoU(ref: OutputTensor, got: OutputTensor, threshold = 0.3): number {
  const a = ref.data as Float32Array;
  const b = got.data as Float32Array;
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! > threshold;
    const y = b[i]! > threshold;
    inter += x && y ? 1 : 0;
    union += x || y ? 1 : 0;
  }
  return union === 0 ? 1 : inter / union;
}

async function benchModel(
  model: BundledModel,
  input: { dims: number[]; data: Float32Array },
  dir: string,
): Promise<string[]> {
  const sourcePath = bundledModelPath(model);
  const source = await readFile(sourcePath);
  const inputPath = join(dir, `${model}-input.npy`);
  await writeFile(inputPath, encodeNpy({ elemType: 'float32', dims: input.dims, data: input.data }));
  const scenario = defaultScenario({
    warmupIterations: 3,
    iterations: ITERATIONS,
    profile: false,
    intraOpThreads: 1,
    inputFiles: { x: inputPath },
  });
  const candidates: Candidate[] = [
    {
      name: 'original',
      path: sourcePath,
      sizeBytes: source.length,
      gzipBytes: gzipSync(source).length,
      compressMs: 0,
      outputsPath: join(dir, `${model}-original.out`),
      runs: [],
    },
  ];
  for (const recipe of RECIPES) {
    const text = await readFile(join('recipes', `${recipe}.yaml`), 'utf8');
    const t0 = Date.now();
    const { bytes, report } = compressModel(source, parseRecipe(text, recipe));
    const path = join(dir, `${model}-${recipe}.onnx`);
    await writeFile(path, bytes);
    candidates.push({
      name: recipe,
      path,
      sizeBytes: report.totals.sizeBytes,
      gzipBytes: report.totals.gzipSizeBytes,
      compressMs: Date.now() - t0,
      outputsPath: join(dir, `${model}-${recipe}.out`),
      runs: [],
    });
  }
  const task = (c: Candidate): RunnerTask => ({ modelPath: c.path, ep: 'cpu', scenario });
  for (const c of candidates) {
    await captureReferenceOutputs(task(c), c.outputsPath);
  }
  const outputsOf = async (c: Candidate): Promise<OutputTensor[]> =>
    decodeReferenceOutputs(await readFile(c.outputsPath)).outputs;
  const reference = await outputsOf(candidates[0]!);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no candidate always runs first (or after the same neighbour).
    const order = candidates.map((_, i) => candidates[(i + round) % candidates.length]!);
    for (const c of order) {
      c.runs.push(await runInChildProcess(task(c)));
      process.stderr.write('.');
    }
  }
  process.stderr.write('\n');
  const base = candidates[0]!;
  const rows: string[] = [];
  for (const c of candidates) {
    const outputs = await outputsOf(c);
    const fidelity = computeFidelity(reference, outputs);
    const ratios = c.runs.map((r, i) => r.latency.median / base.runs[i]!.latency.median);
    const quality =
      model === 'det'
        ? `IoU ${maskIoU(reference[0]!, outputs[0]!).toFixed(3)}`
        : `top-1 ${((fidelity.top1Agreement ?? 0) * 100).toFixed(1)}%`;
    rows.push(
      [
        model.padEnd(3),
        c.name.padEnd(32),
        (c.sizeBytes / base.sizeBytes).toFixed(3).padStart(6),
        (c.gzipBytes / base.gzipBytes).toFixed(3).padStart(6),
        median(c.runs.map((r) => r.loadMs))
          .toFixed(0)
          .padStart(6),
        median(c.runs.map((r) => r.latency.median))
          .toFixed(2)
          .padStart(8),
        median(ratios).toFixed(2).padStart(6),
        (median(c.runs.map((r) => r.peakRssBytes)) / 2 ** 20).toFixed(0).padStart(5),
        fidelity.cosine.toFixed(4).padStart(7),
        (fidelity.snrDb >= 200 ? 'exact' : fidelity.snrDb.toFixed(1)).padStart(6),
        quality.padStart(12),
        c.compressMs.toFixed(0).padStart(6),
      ].join('  '),
    );
  }
  return rows;
}

const dir = await mkdtemp(join(tmpdir(), 'mlfarm-variants-'));
try {
  const inputs = ocrSampleInputs();
  const header = [
    'mdl'.padEnd(3),
    'variant'.padEnd(32),
    'size'.padStart(6),
    'gzip'.padStart(6),
    'loadms'.padStart(6),
    'median'.padStart(8),
    'x orig'.padStart(6),
    'RSSMB'.padStart(5),
    'cosine'.padStart(7),
    'SNRdB'.padStart(6),
    'quality'.padStart(12),
    'compms'.padStart(6),
  ].join('  ');
  const rows = [
    ...(await benchModel('det', { dims: [...inputs.det.dims], data: inputs.det.data }, dir)),
    ...(await benchModel('rec', { dims: [...inputs.rec.dims], data: inputs.rec.data }, dir)),
  ];
  process.stdout.write(
    `PaddleOCR v4 on drawn text (det 1x3x640x640 page, rec 1x3x48x320 line), cpu, 1 intra-op thread, ONNX Runtime default\n` +
      `${ROUNDS} interleaved rounds x ${ITERATIONS} iterations, fresh child per measurement; size/gzip = variant / original;\n` +
      `x orig = median over rounds of (variant median / original median in the same round); quality: det text-mask IoU (>0.3), rec top-1\n\n` +
      `${header}\n${rows.join('\n')}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
