import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type InferenceSession, type Tensor } from 'onnxruntime-node';
import { BenchError, errorMessage } from './bench.exception.js';
import {
  type BenchProgress,
  type BenchScenario,
  type MeasurementResult,
  type ProfileSummary,
  type RunnerTask,
} from './bench.types.js';
import { computeLatencyStats, quantileSorted } from './latency-stats.util.js';
import { parseOrtProfile } from './ort-profile.parser.js';
import { loadRuntime } from './ort-runtime.loader.js';
import { type OrtModule } from './ort-runtime.types.js';
import { createSession, sessionOptions } from './ort-session.adapter.js';
import { fidelityAgainst } from './session-outputs.util.js';
import { openTaskSession } from './task-session.util.js';

const DEFAULT_WARMUP = 5;
const DEFAULT_PROFILE_ITERATIONS = 10;
/** Cap when only minDurationMs bounds the loop, so a sub-µs model cannot fill memory with samples. */
const DEFAULT_MAX_ITERATIONS = 100_000;
const PROGRESS_INTERVAL_NS = 250_000_000n;

type ProgressFn = (p: BenchProgress) => void;

/**
 * The measurement protocol, in-process: cold load, first run, warm-up, timed loop with profiling off,
 * then (optionally) a separate profiled session. Meant to run inside a fresh runner child.
 */
export async function measure(
  task: RunnerTask,
  onProgress: ProgressFn = () => {},
): Promise<MeasurementResult> {
  const scenario = withDefaults(task.scenario);
  // Imported here, not statically: the task decides which onnxruntime-node this process holds.
  const runtime = await loadRuntime(task.runtime);

  onProgress({ phase: 'load', done: 0, total: 1 });
  const opened = await openTaskSession(runtime, task, scenario);
  const { session, feeds, loadMs } = opened;
  onProgress({ phase: 'load', done: 1, total: 1, lastMs: loadMs });

  let result: Omit<MeasurementResult, 'ops' | 'opTypes'>;
  try {
    onProgress({ phase: 'first-run', done: 0, total: 1 });
    let t0 = process.hrtime.bigint();
    await run(session, feeds);
    const firstRunMs = msSince(t0);
    onProgress({ phase: 'first-run', done: 1, total: 1, lastMs: firstRunMs });

    for (let i = 0; i < scenario.warmupIterations; i++) {
      t0 = process.hrtime.bigint();
      await run(session, feeds);
      onProgress({ phase: 'warmup', done: i + 1, total: scenario.warmupIterations, lastMs: msSince(t0) });
    }

    const samplesMs = await timedLoop(session, feeds, scenario, onProgress);
    // High-water mark read before the fidelity run (the reference file and both output sets are not the
    // model's footprint) and before the profiled pass (nor are the profiler's event buffers). maxRSS
    // never goes down, so reading it before release is the same as after.
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    const fidelity =
      task.reference !== undefined
        ? await fidelityAgainst(task.reference.outputsPath, session, feeds)
        : undefined;
    result = {
      ortVersion: runtime.version,
      ep: task.ep,
      loadMs,
      firstRunMs,
      samplesMs,
      latency: computeLatencyStats(samplesMs, scenario.seed),
      inputs: opened.inputs,
      peakRssBytes,
      ...(fidelity !== undefined && { fidelity }),
    };
  } finally {
    // Released before the profiled pass so the two sessions never share the peak RSS.
    await session.release();
  }

  const profile = scenario.profile
    ? await profiledPass(runtime.ort, task, scenario, feeds, onProgress)
    : undefined;
  return {
    ...result,
    ops: profile?.summary.ops ?? [],
    opTypes: profile?.summary.opTypes ?? [],
    ...(profile?.summary.arenaPeakBytes !== undefined && { arenaPeakBytes: profile.summary.arenaPeakBytes }),
    ...(profile?.summary.arenaInUsePeakBytes !== undefined && {
      arenaInUsePeakBytes: profile.summary.arenaInUsePeakBytes,
    }),
    ...(profile !== undefined && { profiledRunMedianMs: profile.runMedianMs }),
  };
}

/**
 * The hot loop: same feeds object every time, hrtime around the awaited run only, samples written into
 * a preallocated buffer, progress checked by one bigint compare. `bare-loop-child.ts` mirrors it.
 */
async function timedLoop(
  session: InferenceSession,
  feeds: Record<string, Tensor>,
  scenario: Required<ScenarioCore>,
  onProgress: ProgressFn,
): Promise<number[]> {
  const minNs = BigInt(Math.round(scenario.minDurationMs * 1e6));
  const max = scenario.maxIterations;
  let samples = new Float64Array(Math.min(max, Math.max(scenario.iterations, 1024)));
  const start = process.hrtime.bigint();
  let lastReport = start;
  let reported = 0;
  let count = 0;
  for (;;) {
    const t0 = process.hrtime.bigint();
    try {
      await session.run(feeds);
    } catch (err) {
      throw runFailed(err);
    }
    const t1 = process.hrtime.bigint();
    if (count === samples.length) {
      const grown = new Float64Array(Math.min(max, samples.length * 2));
      grown.set(samples);
      samples = grown;
    }
    samples[count++] = Number(t1 - t0) / 1e6;
    const done = count >= max || (count >= scenario.iterations && t1 - start >= minNs);
    if (done || t1 - lastReport >= PROGRESS_INTERVAL_NS) {
      lastReport = t1;
      // At most one message per PROGRESS_INTERVAL: the copy of the new samples costs nothing per iteration.
      onProgress({
        phase: 'measure',
        done: count,
        total: Math.max(scenario.iterations, count),
        lastMs: samples[count - 1]!,
        samplesMs: Array.from(samples.subarray(reported, count)),
        firstIndex: reported,
      });
      reported = count;
    }
    if (done) {
      return Array.from(samples.subarray(0, count));
    }
  }
}

async function profiledPass(
  ort: OrtModule,
  task: RunnerTask,
  scenario: Required<ScenarioCore>,
  feeds: Record<string, Tensor>,
  onProgress: ProgressFn,
): Promise<{ summary: ProfileSummary; runMedianMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-profile-'));
  try {
    const session = await createSession(
      ort,
      task.modelPath,
      task.ep,
      sessionOptions(task.ep, scenario, join(dir, 'ort')),
    );
    const total = scenario.profileIterations;
    const runsMs = new Float64Array(total);
    try {
      // One untimed run first, dropped from the aggregate: the first run of a session is a cold outlier.
      await run(session, feeds);
      for (let i = 0; i < total; i++) {
        const t0 = process.hrtime.bigint();
        await run(session, feeds);
        runsMs[i] = msSince(t0);
        onProgress({ phase: 'profile', done: i + 1, total, lastMs: runsMs[i]! });
      }
      // onnxruntime-node's endProfiling() returns nothing; the trace lands in `dir` under the prefix.
      session.endProfiling();
    } finally {
      await session.release();
    }
    const events = await readTrace(dir);
    return {
      // Older Node bindings (1.20) accept the profiling options but write no trace: no per-op rows then,
      // which is a property of that runtime, not a failed measurement.
      summary: events ? parseOrtProfile(events, { skipRuns: 1 }) : { ops: [], opTypes: [], runs: 0 },
      runMedianMs: quantileSorted(runsMs.sort(), 0.5),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readTrace(dir: string): Promise<unknown[] | undefined> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  const file = files[0];
  if (file === undefined) {
    return undefined;
  }
  const parsed: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
  if (!Array.isArray(parsed)) {
    throw new BenchError('RUN_FAILED', 'ONNX Runtime profile trace is not a JSON array');
  }
  return parsed as unknown[];
}

async function run(session: InferenceSession, feeds: Record<string, Tensor>): Promise<void> {
  try {
    await session.run(feeds);
  } catch (err) {
    throw runFailed(err);
  }
}

function runFailed(err: unknown): BenchError {
  return new BenchError('RUN_FAILED', `inference failed: ${errorMessage(err)}`, { cause: err });
}

type ScenarioCore = Omit<
  BenchScenario,
  '__crashForTest' | 'intraOpThreads' | 'interOpThreads' | 'graphOptimizationLevel'
>;

function withDefaults(s: BenchScenario): Required<ScenarioCore> & BenchScenario {
  const warmupIterations = s.warmupIterations ?? DEFAULT_WARMUP;
  const profileIterations = s.profileIterations ?? DEFAULT_PROFILE_ITERATIONS;
  const maxIterations =
    s.maxIterations ?? (s.minDurationMs > 0 ? DEFAULT_MAX_ITERATIONS : Math.max(s.iterations, 1));
  checkCount('warmupIterations', warmupIterations, 0);
  checkCount('iterations', s.iterations, 1);
  checkCount('profileIterations', profileIterations, 1);
  checkCount('maxIterations', maxIterations, 1);
  if (!(Number.isFinite(s.minDurationMs) && s.minDurationMs >= 0)) {
    throw new BenchError('INVALID_INPUT', `minDurationMs must be >= 0, got ${s.minDurationMs}`);
  }
  return {
    ...s,
    warmupIterations,
    profileIterations,
    maxIterations,
    shapes: s.shapes ?? {},
    inputFiles: s.inputFiles ?? {},
  };
}

function checkCount(field: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new BenchError('INVALID_INPUT', `${field} must be an integer >= ${min}, got ${value}`);
  }
}

function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
