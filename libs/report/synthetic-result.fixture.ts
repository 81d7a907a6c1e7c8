import { type CompressionTensor, type ResultEntry, type ResultJson } from './result-json.js';
import { quantile } from './report-stats.util.js';

/**
 * A made-up but plausible result JSON: any number of nodes, variants and agents, deterministic for a seed.
 * For the report's unit tests and its 1,000-node page benchmark; never for measurements.
 */
export interface SyntheticOptions {
  nodes?: number;
  variants?: string[];
  agents?: { name: string; ep: string; speed: number }[];
  samples?: number;
  seed?: number;
}

const OP_TYPES = [
  'Conv',
  'Relu',
  'Add',
  'Mul',
  'HardSigmoid',
  'Resize',
  'Concat',
  'MatMul',
  'Transpose',
  'Reshape',
];
const OP_WEIGHTS = [12, 1, 1, 1, 0.6, 3, 0.8, 6, 0.7, 0.2];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticResultJson(options: SyntheticOptions = {}): ResultJson {
  const nodes = options.nodes ?? 1000;
  const variants = options.variants ?? ['original', 'palettize-4bit-g16', 'int8-per-channel'];
  const agents = options.agents ?? [
    { name: 'x86-avx512', ep: 'cpu', speed: 1 },
    { name: 'arm-graviton', ep: 'cpu', speed: 1.6 },
    { name: 'gpu-box', ep: 'webgpu', speed: 0.45 },
  ];
  const sampleCount = options.samples ?? 200;
  const random = prng(options.seed ?? 42);
  const graph = Array.from({ length: nodes }, (_, i) => {
    const t = Math.floor(random() * OP_TYPES.length);
    // One name carries markup on purpose: node names are user data and the page must show them as text.
    const node =
      i === 7
        ? `/backbone/<img src=x onerror=alert(1)>/Conv_${i}`
        : `/stage${Math.floor(i / 50)}/block${i % 50}/${OP_TYPES[t]}_${i}`;
    return { node, opType: OP_TYPES[t]!, cost: OP_WEIGHTS[t]! * (0.2 + random() * random() * 4) };
  });
  const tensors = graph
    .filter((g) => g.opType === 'Conv' || g.opType === 'MatMul')
    .map((g, i) => ({ name: `${g.node}.weight`, elements: 64 * (1 + (i % 16)) * 9 * 16 }));
  const originalSize = tensors.reduce((s, t) => s + t.elements * 4, 0) + 40_000;

  const results: ResultEntry[] = [];
  agents.forEach((agent, a) => {
    variants.forEach((variant, v) => {
      const slow = agent.speed * (1 + 0.07 * v);
      const ops = graph.map((g, i) => {
        // On an accelerator some op types cannot be placed and run on the CPU instead.
        const fallback = agent.ep !== 'cpu' && (g.opType === 'Resize' || i % 97 === 3);
        return {
          node: g.node,
          opType: g.opType,
          provider: fallback
            ? 'CPUExecutionProvider'
            : agent.ep === 'cpu'
              ? 'CPUExecutionProvider'
              : 'WebGpuExecutionProvider',
          medianMs: g.cost * slow * 0.01 * (0.9 + random() * 0.2),
          share: 0,
        };
      });
      const total = ops.reduce((s, o) => s + o.medianMs, 0);
      for (const o of ops) {
        o.share = o.medianMs / total;
      }
      const byType = new Map<string, { count: number; totalMs: number }>();
      for (const o of ops) {
        const t = byType.get(o.opType) ?? { count: 0, totalMs: 0 };
        byType.set(o.opType, { count: t.count + 1, totalMs: t.totalMs + o.medianMs });
      }
      const samples = Array.from({ length: sampleCount }, () => {
        const spike = random() < 0.03 ? 1.6 : 1;
        return total * (1 + 0.12 * (random() + random() + random() - 1.5)) * spike;
      });
      const sorted = [...samples].sort((x, y) => x - y);
      const median = quantile(sorted, 0.5);
      const half = (1.57 * (quantile(sorted, 0.75) - quantile(sorted, 0.25))) / Math.sqrt(sampleCount);
      const mean = samples.reduce((s, x) => s + x, 0) / sampleCount;
      const compressed = variant !== 'original';
      const bits = variant.includes('4bit') ? 4 : 8;
      const compressionTensors: CompressionTensor[] = tensors.map((t) => ({
        name: t.name,
        shape: [t.elements / 144, 16, 3, 3],
        method: bits === 4 ? 'palettize kmeans per_grouped_channel' : 'linear_symmetric per_channel',
        bits,
        bytesBefore: t.elements * 4,
        bytesAfter: Math.round((t.elements * bits) / 8 + 64),
        sqnrDb: bits === 4 ? 18 + random() * 6 : 38 + random() * 6,
      }));
      const size = compressed
        ? compressionTensors.reduce((s, t) => s + t.bytesAfter, 0) + 40_000
        : originalSize;
      results.push({
        model: 'synthetic-1k.onnx',
        modelSha256: 'ab'.repeat(32),
        variant,
        ep: agent.ep,
        runtime: '1.30.0',
        agent: {
          id: `agent_${a}`,
          name: agent.name,
          labels: { tier: a === 0 ? 'big' : 'small' },
          cpuModel: `Synthetic CPU ${a}`,
          cpuCores: 8,
          memoryBytes: 16 * 2 ** 30,
          os: 'linux',
          osRelease: '6.1.0',
          arch: a === 1 ? 'arm64' : 'x64',
          nodeVersion: 'v20.19.0',
          ortVersion: '1.30.0',
          intraOpThreads: 4,
          interOpThreads: 1,
          gpu: agent.ep === 'cpu' ? '' : 'Synthetic GPU',
          hostname: `host-${a}`,
        },
        taskId: `task_${a}_${v}`,
        attempt: 1,
        sizeBytes: size,
        gzipSizeBytes: Math.round(size * (compressed ? 0.93 : 0.92)),
        parameterCount: tensors.reduce((s, t) => s + t.elements, 0),
        loadMs: 40 * (compressed ? 1.3 : 1) * agent.speed,
        firstRunMs: total * 3,
        latencyMs: {
          median,
          p90: quantile(sorted, 0.9),
          p99: quantile(sorted, 0.99),
          mean,
          stddev: Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / sampleCount),
          min: sorted[0]!,
          max: sorted[sorted.length - 1]!,
          mad: 0,
          ci95: [median - half, median + half],
        },
        samplesMs: samples,
        peakRssBytes: Math.round(size * 2.5 + 90 * 2 ** 20),
        arenaPeakBytes: null,
        profiledRunMedianMs: total,
        inputs: [{ name: 'x', dims: [1, 3, 640, 640], elemType: 'float32', source: 'synthetic' }],
        ops,
        opTypes: [...byType.entries()].map(([opType, t]) => ({ opType, ...t, share: t.totalMs / total })),
        ...(compressed
          ? {
              compression: {
                sizeBytes: size,
                gzipSizeBytes: Math.round(size * 0.93),
                ratio: size / originalSize,
                originalSizeBytes: originalSize,
              },
              compressionTensors,
              fidelity: {
                cosine: bits === 4 ? 0.9962 : 0.99991,
                snrDb: bits === 4 ? 21.4 : 39.8,
                maxAbsError: bits === 4 ? 0.083 : 0.0061,
              },
            }
          : {}),
        ...(agent.ep !== 'cpu'
          ? {
              fallbackReasons: [
                {
                  node: graph.find((g) => g.opType === 'Resize')?.node ?? '',
                  reason: "Resize: mode 'cubic' is not supported by this EP",
                },
              ],
            }
          : {}),
      });
    });
  });
  return {
    run: {
      id: 'run_synthetic',
      name: 'synthetic 1,000-node model',
      state: 'succeeded',
      createdAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:03:12.000Z',
    },
    results,
    failures: [],
  };
}
