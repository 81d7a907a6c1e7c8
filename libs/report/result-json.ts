import { type Agent, type GetRunResponse, type Task, TaskState } from '#contracts';
import { variantFields } from './variant-fields.js';

/**
 * The result JSON other tools read. Field names are a contract: add fields, never rename or remove.
 * Times in milliseconds, sizes in bytes.
 */
export interface ResultJson {
  run: { id: string; name: string; state: string; createdAt: string; finishedAt: string | null };
  results: ResultEntry[];
  /** Tasks that ended without a result; `runtime` is the version asked for ('' = the agent's default). */
  failures: { model: string; variant: string; ep: string; runtime: string; agentId: string; error: string }[];
}

export interface ResultEntry {
  model: string;
  modelSha256: string;
  variant: string;
  ep: string;
  runtime: string;
  agent: Record<string, unknown>;
  taskId: string;
  attempt: number;
  sizeBytes: number;
  gzipSizeBytes: number;
  parameterCount: number;
  loadMs: number;
  firstRunMs: number;
  latencyMs: {
    median: number;
    p90: number;
    p99: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    mad: number;
    ci95: [number, number];
  };
  samplesMs: number[];
  peakRssBytes: number;
  arenaPeakBytes: number | null;
  profiledRunMedianMs: number | null;
  inputs: { name: string; dims: number[]; elemType: string; source: string }[];
  ops: { node: string; opType: string; provider: string; medianMs: number; share: number }[];
  opTypes: { opType: string; count: number; totalMs: number; share: number }[];
  /** Compressed variants only: the compression report's totals (absent for originals). */
  compression?: CompressionTotals;
  /** Compressed variants only: the compression report, one entry per weight tensor. */
  compressionTensors?: CompressionTensor[];
  /** Compressed variants only: outputs compared with the original's on the same inputs. */
  fidelity?: Fidelity;
  /** Why ONNX Runtime did not place a node on the requested execution provider, where it said. */
  fallbackReasons?: FallbackReason[];
}

export interface CompressionTotals {
  sizeBytes: number;
  gzipSizeBytes: number;
  /** Compressed size / original size, as the compression report gives it: 0.25 means 75 % smaller. */
  ratio: number;
  gzipRatio?: number;
  originalSizeBytes?: number;
  recipe?: string;
  recipeSha256?: string;
  /** Fraction of weights that are zero after pruning, 0..1. */
  sparsity?: number;
}

export interface CompressionTensor {
  name: string;
  shape: number[];
  method: string;
  bits: number | null;
  bytesBefore: number;
  bytesAfter: number;
  /** Weight signal-to-quantization-noise ratio in dB; null where the tensor was left alone. */
  sqnrDb: number | null;
  /** Why the tensor was left alone, when it was. */
  skipped?: string;
}

export interface Fidelity {
  cosine: number;
  /** 200 (the cap) stands for "identical to the reference" (an infinite SNR). */
  snrDb: number;
  maxAbsError: number;
  top1Agreement?: number;
  top5Agreement?: number;
  /** What the outputs were compared with: "original", or "original on ONNX Runtime 1.20". */
  reference?: string;
}

export interface FallbackReason {
  node: string;
  reason: string;
}

const RUN_STATE_NAMES = ['unspecified', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

export function toResultJson(response: GetRunResponse, agents: Agent[]): ResultJson {
  const run = response.run!;
  const tasks = new Map<string, Task>(response.tasks.map((t) => [t.id, t]));
  const agentsById = new Map(agents.map((a) => [a.id, a]));
  // Only the newest stored attempt of a task counts; older attempts stay in the store for audits.
  const latest = new Map(response.results.map((r) => [r.taskId, r]));
  return {
    run: {
      id: run.id,
      name: run.name,
      state: RUN_STATE_NAMES[run.state] ?? 'unknown',
      createdAt: new Date(Number(run.createdAtMs)).toISOString(),
      finishedAt: Number(run.finishedAtMs) > 0 ? new Date(Number(run.finishedAtMs)).toISOString() : null,
    },
    results: [...latest.values()].map((r) => {
      const task = tasks.get(r.taskId);
      const m = r.measurement!;
      const l = m.latency!;
      const agent = agentsById.get(r.agentId);
      return {
        model: task?.modelName ?? '',
        modelSha256: task?.modelSha256 ?? '',
        variant: task?.variant ?? 'original',
        ep: m.ep,
        runtime: m.ortVersion,
        agent: {
          id: r.agentId,
          name: agent?.name ?? r.agentId,
          labels: Object.fromEntries((agent?.labels ?? []).map((x) => [x.key, x.value])),
          ...numbersOf(r.fingerprint ?? {}),
        },
        taskId: r.taskId,
        attempt: r.attempt,
        sizeBytes: Number(r.model?.sizeBytes ?? 0),
        gzipSizeBytes: Number(r.model?.gzipSizeBytes ?? 0),
        parameterCount: Number(r.model?.parameterCount ?? 0),
        loadMs: m.loadMs,
        firstRunMs: m.firstRunMs,
        latencyMs: {
          median: l.median,
          p90: l.p90,
          p99: l.p99,
          mean: l.mean,
          stddev: l.stddev,
          min: l.min,
          max: l.max,
          mad: l.mad,
          ci95: [l.ci95Low, l.ci95High],
        },
        samplesMs: m.samplesMs,
        peakRssBytes: Number(m.peakRssBytes),
        arenaPeakBytes: Number(m.arenaPeakBytes) > 0 ? Number(m.arenaPeakBytes) : null,
        profiledRunMedianMs: m.profiledRunMedianMs > 0 ? m.profiledRunMedianMs : null,
        inputs: m.inputs.map((i) => ({
          name: i.name,
          dims: i.dims.map(Number),
          elemType: i.elemType,
          source: i.source,
        })),
        ops: m.ops.map((o) => ({
          node: o.node,
          opType: o.opType,
          provider: o.provider,
          medianMs: o.medianMs,
          share: o.share,
        })),
        opTypes: m.opTypes.map((o) => ({
          opType: o.opType,
          count: o.count,
          totalMs: o.totalMs,
          share: o.share,
        })),
        ...variantFields(task, response.variants, m),
      };
    }),
    failures: response.tasks
      .filter((t) => t.state === TaskState.TASK_STATE_FAILED)
      .map((t) => ({
        model: t.modelName,
        variant: t.variant,
        ep: t.ep,
        runtime: t.runtime,
        agentId: t.agentId,
        error: t.error,
      })),
  };
}

// int64/uint64 travel as strings on the wire; in the JSON they are plain numbers.
function numbersOf(fingerprint: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fingerprint)) {
    out[key] = key === 'memoryBytes' ? Number(value) : (value as unknown);
  }
  return out;
}
