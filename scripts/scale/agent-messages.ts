import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';

/**
 * What the simulated agents say, shaped like a real agent (apps/agent) on this machine measuring the
 * bundled detection model: its hello and fingerprint, and timed samples. Only the numbers are made up.
 */

export const ORT_VERSION = '1.30.0';
const CPU = { name: 'cpu', available: true, reason: '' };

export function fingerprint(): object {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCores: cpus().length,
    memoryBytes: String(totalmem()),
    os: platform(),
    osRelease: release(),
    arch: arch(),
    nodeVersion: process.version,
    ortVersion: ORT_VERSION,
    intraOpThreads: 1,
    interOpThreads: 1,
    gpu: '',
    hostname: hostname(),
  };
}

export function hello(agentId: string, fp: object): object {
  return {
    agentId,
    name: agentId,
    labels: [{ key: 'pool', value: 'scale' }],
    fingerprint: fp,
    executionProviders: [CPU],
    runningTaskIds: [],
    runtimes: [
      { version: ORT_VERSION, packageName: 'onnxruntime-node', isDefault: true, executionProviders: [CPU] },
    ],
  };
}

/** Deterministic pseudo-random latencies around 80 ms (the detection model at 640x640 on these CPUs). */
export function latencySamples(count: number, seed = 1): number[] {
  let x = seed;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return Array.from({ length: count }, () => Math.round((70 + 25 * next() ** 2) * 1000) / 1000);
}

function quantile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function latencyStats(samples: number[]): object {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const stddev = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / samples.length);
  const median = quantile(sorted, 0.5);
  const deviations = sorted.map((s) => Math.abs(s - median)).sort((a, b) => a - b);
  const half = (1.96 * stddev) / Math.sqrt(samples.length);
  return {
    median,
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    mean,
    stddev,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    mad: quantile(deviations, 0.5),
    ci95Low: median - half,
    ci95High: median + half,
    count: samples.length,
  };
}
