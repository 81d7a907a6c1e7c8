export { BenchError, type BenchErrorCode, BENCH_ERROR_CODES } from './bench.exception.js';
export type {
  BenchPhase,
  BenchProgress,
  BenchScenario,
  Fidelity,
  LatencyStats,
  MeasuredInput,
  MeasurementResult,
  OpRow,
  OpTypeRow,
  OutputFidelity,
  OutputInfo,
  ProfileSummary,
  ReferenceCapture,
  RunnerTask,
} from './bench.types.js';
export { computeLatencyStats, quantileSorted } from './latency-stats.util.js';
export { parseOrtProfile } from './ort-profile.parser.js';
export { measure } from './measure.service.js';
export { runInChildProcess, type RunInChildOptions } from './child-runner.client.js';
export { defaultScenario } from './default-scenario.util.js';
export type { BareLoopConfig } from './bare-loop.types.js';
export type { EpProbe, RuntimeInfo } from './ort-runtime.types.js';
export {
  compareVersions,
  listRuntimes,
  resolveRuntime,
  type ListRuntimesOptions,
} from './runtime-registry.util.js';
export { probeRuntimeEps } from './ep-probe.client.js';
export { captureReferenceOutputs } from './reference-capture.client.js';
export { computeFidelity, looksLikeClassScores, SNR_CAP_DB, type FidelityMetrics } from './fidelity.util.js';
export {
  decodeReferenceOutputs,
  encodeReferenceOutputs,
  type OutputTensor,
  type ReferenceHeader,
} from './reference-outputs.codec.js';

/** The plain onnxruntime-node reference loop used by scripts/bench-overhead (run it with node). */
export const BARE_LOOP_CHILD_PATH = new URL('./bare-loop-child.js', import.meta.url);
export { type TextImage, drawTextImage, ocrSampleInputs } from './text-image.util.js';
