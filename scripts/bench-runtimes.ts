// The same model on every installed ONNX Runtime, side by side: load, first run, steady median with a
// bootstrap CI (of round medians), peak RSS, and output agreement against the OLDEST runtime (the one
// people upgrade from). Interleaved rounds: each round runs one fresh child per runtime, the order
// rotating, so a burst of load from elsewhere hits every runtime alike. One intra-op thread: on a busy
// 2-core box a thread pool stalls at every barrier and drowns runtime differences.
// Usage: node dist/scripts/bench-runtimes.js [--rounds=5] [--iterations=10] [--models=det,rec]
//        [--runtimes=1.20,1.30]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BenchError,
  captureReferenceOutputs,
  computeLatencyStats,
  defaultScenario,
  type Fidelity,
  listRuntimes,
  ocrSampleInputs,
  type MeasurementResult,
  resolveRuntime,
  runInChildProcess,
  type RunnerTask,
  type RuntimeInfo,
} from '#bench';
import { BUNDLED_SHAPES, type BundledModel, bundledModelPath } from '#common';
import { encodeNpy } from '#onnx';

function arg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
}

function intArg(name: string, fallback: number): number {
  const raw = arg(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer`);
  }
  return value;
}

/** Steady runs per child: det (640x640) is ~10x slower than rec (48x320), so it gets fewer. */
const ITERATIONS: Record<string, number> = {
  det: intArg('iterations', 10),
  rec: intArg('iterations', 10) * 3,
};
const TIMEOUT_MS = 300_000;

const INPUT_FILES: Partial<Record<BundledModel, string>> = {};

async function writeTextInputs(dir: string): Promise<void> {
  const { det, rec } = ocrSampleInputs();
  for (const [model, image] of [
    ['det', det],
    ['rec', rec],
  ] as const) {
    const path = join(dir, `${model}-text.npy`);
    await writeFile(path, encodeNpy({ elemType: 'float32', dims: [...image.dims], data: image.data }));
    INPUT_FILES[model] = path;
  }
}

function task(model: BundledModel, runtime: RuntimeInfo, referencePath?: string): RunnerTask {
  const shape = BUNDLED_SHAPES[model];
  return {
    modelPath: bundledModelPath(model),
    ep: 'cpu',
    runtime: runtime.packageName,
    ...(referencePath !== undefined && { reference: { outputsPath: referencePath } }),
    scenario: defaultScenario({
      warmupIterations: 3,
      iterations: ITERATIONS[model] ?? 10,
      profile: false,
      intraOpThreads: 1,
      interOpThreads: 1,
      seed: 1,
      // A drawn text page/line, not noise: on random input the detector's sigmoid map is ~0 everywhere.
      ...(INPUT_FILES[model]
        ? { inputFiles: { [shape.input]: INPUT_FILES[model] } }
        : { shapes: { [shape.input]: shape.dims } }),
    }),
  };
}

interface Row {
  runtime: RuntimeInfo;
  results: MeasurementResult[];
  /** Per round: this runtime's median / the oldest runtime's median in the same round. */
  ratios: number[];
  failure?: string;
}

const median = (xs: number[]): number => computeLatencyStats(xs).median;
const f = (x: number, digits = 1): string => x.toFixed(digits);

function describe(err: unknown): string {
  const text = err instanceof BenchError ? `${err.code}: ${err.message}` : String(err);
  return text
    .split('\n')[0]!
    .replace(/\/onnxruntime_src\/\S+ /, '')
    .slice(0, 150);
}

async function benchModel(
  model: BundledModel,
  runtimes: RuntimeInfo[],
  rounds: number,
  dir: string,
): Promise<void> {
  const oldest = runtimes[0]!;
  const refPath = join(dir, `${model}-reference.bin`);
  let reference: string | undefined = refPath;
  try {
    await captureReferenceOutputs(task(model, oldest), refPath, { timeoutMs: TIMEOUT_MS });
  } catch (err) {
    reference = undefined;
    console.log(`  (no reference: ${oldest.version} could not run ${model}: ${describe(err)})`);
  }
  const rows: Row[] = runtimes.map((runtime) => ({ runtime, results: [], ratios: [] }));
  for (let round = 0; round < rounds; round++) {
    const order = rows.map((_, i) => rows[(i + round) % rows.length]!);
    const medians = new Map<Row, number>();
    for (const row of order) {
      if (row.failure !== undefined) {
        continue;
      }
      try {
        const r = await runInChildProcess(task(model, row.runtime, reference), { timeoutMs: TIMEOUT_MS });
        row.results.push(r);
        medians.set(row, r.latency.median);
      } catch (err) {
        // A runtime that refuses or crashes on the model is a result, shown as such; no retries.
        row.failure = describe(err);
      }
    }
    const base = medians.get(rows[0]!);
    for (const [row, m] of medians) {
      if (base !== undefined) {
        row.ratios.push(m / base);
      }
    }
    process.stderr.write(`  ${model} round ${round + 1}/${rounds} done (load1 ${f(loadavg()[0]!, 2)})\n`);
  }
  printTable(model, rows);
}

function printTable(model: BundledModel, rows: Row[]): void {
  const shape = BUNDLED_SHAPES[model];
  console.log(`\n${model} ${shape.dims.join('x')}, cpu, intra=1, fidelity vs ${rows[0]!.runtime.version}`);
  const header = [
    'runtime',
    'load ms',
    'first ms',
    'median ms [95% CI]',
    'vs oldest [95% CI]',
    'peak RSS MiB',
    'cosine',
    'SNR dB',
    'max abs err',
    'top-1',
  ];
  const lines: string[][] = [header];
  for (const row of rows) {
    if (row.results.length === 0) {
      lines.push([row.runtime.version, `FAILED ${row.failure ?? ''}`]);
      continue;
    }
    const rs = row.results;
    const meds = computeLatencyStats(rs.map((r) => r.latency.median));
    const ratio = row.ratios.length > 0 ? computeLatencyStats(row.ratios) : undefined;
    const fid: Fidelity | undefined = rs[0]!.fidelity;
    lines.push([
      row.runtime.version,
      f(median(rs.map((r) => r.loadMs))),
      f(median(rs.map((r) => r.firstRunMs))),
      `${f(meds.median, 2)} [${f(meds.ci95[0], 2)}, ${f(meds.ci95[1], 2)}]`,
      ratio ? `${f(ratio.median, 3)} [${f(ratio.ci95[0], 3)}, ${f(ratio.ci95[1], 3)}]` : '-',
      f(median(rs.map((r) => r.peakRssBytes)) / 2 ** 20, 0),
      fid ? fid.cosine.toFixed(6) : '-',
      fid ? f(fid.snrDb) : '-',
      fid ? fid.maxAbsError.toExponential(2) : '-',
      fid?.top1Agreement !== undefined ? f(fid.top1Agreement, 4) : '-',
    ]);
    if (row.failure !== undefined) {
      lines.push(['', `(failed in a later round: ${row.failure})`]);
    }
  }
  const widths = header.map((_, c) =>
    Math.max(...lines.filter((l) => l.length > 2).map((l) => l[c]!.length)),
  );
  for (const line of lines) {
    console.log(
      line.length > 2 ? line.map((cell, c) => cell.padEnd(widths[c]!)).join('  ') : line.join('  '),
    );
  }
}

async function main(): Promise<void> {
  const rounds = intArg('rounds', 5);
  const models = (arg('models') ?? 'det,rec').split(',') as BundledModel[];
  const wanted = arg('runtimes');
  const runtimes =
    wanted === undefined ? listRuntimes() : wanted.split(',').map((spec) => resolveRuntime(spec));
  console.log(
    `runtimes: ${runtimes.map((r) => `${r.version} (${r.packageName})`).join(', ')}; ${rounds} interleaved rounds, fresh child per runtime per round`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-bench-runtimes-'));
  await writeTextInputs(dir);
  try {
    for (const model of models) {
      await benchModel(model, runtimes, rounds, dir);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    '\nmedian: of the per-round medians, bootstrap 95% CI; vs oldest: per-round ratio to the oldest runtime in the same round.',
  );
}

await main();
