import { type BenchErrorCode } from './bench.exception.js';
import { type BenchProgress, type MeasurementResult, type RunnerTask } from './bench.types.js';

/** Parent -> runner child. */
export interface RunnerTaskMessage {
  type: 'task';
  task: RunnerTask;
}

/** Runner child -> parent. */
export type RunnerReply =
  | { type: 'progress'; progress: BenchProgress }
  | { type: 'result'; result: MeasurementResult }
  | { type: 'error'; code: BenchErrorCode; message: string };
