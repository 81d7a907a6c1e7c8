import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { errorMessage } from '#common';

export interface CheckpointerSettings {
  file: string;
  /** How often the log is copied into the database file. */
  intervalMs: number;
  /** Below this many frames in the log, one pass per interval is enough. */
  minFrames: number;
}

/** What the worker tells after an interval in which it copied something (for tests and diagnostics). */
export interface CheckpointReport {
  /** Checkpoint passes that found frames in the log. */
  checkpoints: number;
  /** Frames in the log at the last pass. */
  frames: number;
}

/**
 * Checkpoints of an SQLite database in WAL mode, off the event loop.
 *
 * SQLite copies its log into the database file at the commit that makes the log long enough, on the
 * thread that commits. At a thousand agents the log grew by about twenty pages a task, and every 16,000
 * pages one commit stalled the coordinator's only thread for 100-170 ms while it copied and synced
 * (scripts/bench-scale.ts --cpu-prof: a stretch of 96-100 % executeQuery every 2.5 s at 300 tasks/s). That
 * stall set the dispatch latency's p99 at any load. Here a worker thread with its own connection runs
 * PASSIVE checkpoints, which never block the writer; the writer's own automatic checkpoint stays as a
 * fallback, far higher, should this thread fall behind.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly listeners = new Set<(report: CheckpointReport) => void>();

  constructor(settings: CheckpointerSettings) {
    this.worker = new Worker(new URL('./wal-checkpoint.worker.js', import.meta.url), {
      workerData: settings,
    });
    // Never keeps the process alive, and a failure costs only the off-thread copy (the fallback remains).
    this.worker.unref();
    this.worker.on('message', (report: CheckpointReport) => {
      this.listeners.forEach((listener) => listener(report));
    });
    this.worker.on('error', (error) =>
      new Logger(WalCheckpointer.name).warn(
        `the log checkpoint thread of ${settings.file} failed (${errorMessage(error)}); ` +
          'commits will checkpoint it themselves, stalling for longer',
      ),
    );
  }

  /** Resolves at the first report that satisfies `test`. */
  until(test: (report: CheckpointReport) => boolean): Promise<CheckpointReport> {
    return new Promise((resolve) => {
      const listener = (report: CheckpointReport): void => {
        if (test(report)) {
          this.listeners.delete(listener);
          resolve(report);
        }
      };
      this.listeners.add(listener);
    });
  }

  /** Closes the worker's connection (the writer's close then does the last checkpoint). */
  stop(): void {
    this.worker.postMessage('stop');
  }
}
