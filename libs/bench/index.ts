export { BenchError, type BenchErrorCode, BENCH_ERROR_CODES } from './bench.exception.js';
export type {
  BenchPhase,
  BenchProgress,
  BenchScenario,
  LatencyStats,
  MeasuredInput,
  MeasurementResult,
  OpRow,
  OpTypeRow,
  ProfileSummary,
  RunnerTask,
} from './bench.types.js';
export { computeLatencyStats, quantileSorted } from './latency-stats.util.js';
export { parseOrtProfile } from './ort-profile.parser.js';
export { measure } from './measure.service.js';
export { runInChildProcess, type RunInChildOptions } from './child-runner.client.js';
export { defaultScenario } from './default-scenario.util.js';
export type { BareLoopConfig } from './bare-loop.types.js';

/** The plain onnxruntime-node reference loop used by scripts/bench-overhead (run it with node). */
export const BARE_LOOP_CHILD_PATH = new URL('./bare-loop-child.js', import.meta.url);
