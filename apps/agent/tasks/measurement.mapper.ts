import { type Assignment, GraphOptimizationLevel, type Measurement, type Scenario } from '#contracts';
import { type BenchScenario, type MeasurementResult, SNR_CAP_DB } from '#bench';
import type { AgentConfig } from '../config/agent.config.js';

const LEVELS: Record<GraphOptimizationLevel, BenchScenario['graphOptimizationLevel']> = {
  [GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_UNSPECIFIED]: undefined,
  [GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_DISABLED]: 'disabled',
  [GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_BASIC]: 'basic',
  [GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_EXTENDED]: 'extended',
  [GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_ALL]: 'all',
  [GraphOptimizationLevel.UNRECOGNIZED]: undefined,
};

/** The wire scenario (zeros mean "default") -> what the runner child measures. */
export function toBenchScenario(
  scenario: Scenario,
  config: AgentConfig,
  inputFiles: Record<string, string>,
): BenchScenario {
  const intra = scenario.intraOpThreads || config.intraOpThreads;
  const inter = scenario.interOpThreads || config.interOpThreads;
  return {
    warmupIterations: scenario.warmupIterations,
    iterations: scenario.iterations,
    minDurationMs: scenario.minDurationMs,
    intraOpThreads: intra > 0 ? intra : undefined,
    interOpThreads: inter > 0 ? inter : undefined,
    graphOptimizationLevel: LEVELS[scenario.graphOptimizationLevel],
    profile: !scenario.skipProfile,
    profileIterations: scenario.profileIterations || undefined,
    seed: scenario.seed,
    shapes: Object.fromEntries(scenario.shapes.map((s) => [s.input, s.dims.map(Number)])),
    inputFiles,
  };
}

function finite(value: number | null | undefined): number {
  return value === null || value === undefined || !Number.isFinite(value) ? SNR_CAP_DB : value;
}

export function toMeasurement(result: MeasurementResult, referenceLabel = ''): Measurement {
  const l = result.latency;
  return {
    ortVersion: result.ortVersion,
    ep: result.ep,
    loadMs: result.loadMs,
    firstRunMs: result.firstRunMs,
    samplesMs: result.samplesMs,
    latency: {
      median: l.median,
      p90: l.p90,
      p99: l.p99,
      mean: l.mean,
      stddev: l.stddev,
      min: l.min,
      max: l.max,
      mad: l.mad,
      ci95Low: l.ci95[0],
      ci95High: l.ci95[1],
      count: l.count,
    },
    peakRssBytes: String(Math.round(result.peakRssBytes)),
    arenaPeakBytes: String(Math.round(result.arenaPeakBytes ?? 0)),
    ops: result.ops,
    opTypes: result.opTypes,
    profiledRunMedianMs: result.profiledRunMedianMs ?? 0,
    inputs: result.inputs.map((i) => ({
      name: i.name,
      dims: i.dims.map(String),
      elemType: i.elemType,
      source: i.source,
    })),
    fidelity: result.fidelity
      ? {
          cosine: result.fidelity.cosine,
          snrDb: finite(result.fidelity.snrDb),
          psnrDb: finite(result.fidelity.psnrDb),
          maxAbsError: result.fidelity.maxAbsError,
          top1Agreement: result.fidelity.top1Agreement,
          top5Agreement: result.fidelity.top5Agreement,
          outputs: result.fidelity.outputs.map((o) => ({
            name: o.name,
            cosine: o.cosine,
            snrDb: finite(o.snrDb),
            maxAbsError: o.maxAbsError,
            top1Agreement: o.top1Agreement,
            mismatch: o.mismatch ?? '',
          })),
          reference: referenceLabel,
        }
      : undefined,
  };
}

export function describeAssignment(a: Assignment): string {
  return `${a.taskId} (attempt ${a.attempt}) ${a.modelName} on ${a.ep}${a.runtime ? ` with ONNX Runtime ${a.runtime}` : ''}`;
}
