export type BenchErrorCode =
  | 'INVALID_INPUT'
  | 'EP_UNAVAILABLE'
  | 'RUNTIME_UNAVAILABLE'
  | 'MODEL_LOAD_FAILED'
  | 'RUN_FAILED'
  | 'RUNNER_CRASHED'
  | 'OUT_OF_MEMORY'
  | 'TIMEOUT'
  | 'CANCELLED';

export const BENCH_ERROR_CODES: readonly BenchErrorCode[] = [
  'INVALID_INPUT',
  'EP_UNAVAILABLE',
  'RUNTIME_UNAVAILABLE',
  'MODEL_LOAD_FAILED',
  'RUN_FAILED',
  'RUNNER_CRASHED',
  'OUT_OF_MEMORY',
  'TIMEOUT',
  'CANCELLED',
];

export class BenchError extends Error {
  override readonly name = 'BenchError';

  constructor(
    readonly code: BenchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isBenchErrorCode(value: unknown): value is BenchErrorCode {
  return typeof value === 'string' && (BENCH_ERROR_CODES as readonly string[]).includes(value);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
