import { type BenchErrorCode } from './bench.exception.js';
import {
  type BenchProgress,
  type MeasurementResult,
  type ReferenceCapture,
  type RunnerTask,
} from './bench.types.js';
import { type EpProbe } from './ort-runtime.types.js';

/** Parent -> runner child: exactly one request per child. */
export type RunnerRequest =
  | { type: 'task'; task: RunnerTask }
  | { type: 'capture'; task: RunnerTask; outPath: string }
  | { type: 'probe'; runtime?: string; eps: string[] };

/** Kept for callers of the original name: the measuring request. */
export type RunnerTaskMessage = Extract<RunnerRequest, { type: 'task' }>;

/** Runner child -> parent. */
export type RunnerReply =
  | { type: 'progress'; progress: BenchProgress }
  | { type: 'result'; result: MeasurementResult }
  | { type: 'captured'; capture: ReferenceCapture }
  | { type: 'probed'; eps: EpProbe[] }
  | { type: 'error'; code: BenchErrorCode; message: string };

export type RunnerFinalReply = Exclude<RunnerReply, { type: 'progress' }>;
