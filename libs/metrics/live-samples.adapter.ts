/**
 * The one place that knows how timed samples travel during a task: each TaskProgress of the timed phase
 * carries every sample since the previous message (`samples_ms`, from `first_index`), about every 250 ms.
 * Messages from older agents carry only `last_ms`; then live series see a sample of the iterations and
 * the final result fills in the rest (see `remainingSamples`).
 */
export interface LiveSample {
  /** 0-based index of the timed iteration. */
  index: number;
  ms: number;
}

export interface ProgressLike {
  phase: string;
  done: number;
  lastMs: number;
  samplesMs?: number[];
  firstIndex?: number;
}

/** Only the timed loop counts: warm-up and the profiled pass are not latency samples. */
export const TIMED_PHASE = 'measure';

export function liveSamplesOf(progress: ProgressLike): LiveSample[] {
  if (progress.phase !== TIMED_PHASE) {
    return [];
  }
  if (progress.samplesMs && progress.samplesMs.length > 0) {
    const first = progress.firstIndex ?? progress.done - progress.samplesMs.length;
    return progress.samplesMs.map((ms, i) => ({ index: first + i, ms }));
  }
  if (progress.done < 1 || !(progress.lastMs > 0)) {
    return [];
  }
  return [{ index: progress.done - 1, ms: progress.lastMs }];
}

/** The samples of a finished task not yet exported live, so each timed iteration is observed exactly once. */
export function remainingSamples(
  samplesMs: readonly number[],
  seen: { has(index: number): boolean },
): number[] {
  return samplesMs.filter((_, i) => !seen.has(i));
}
