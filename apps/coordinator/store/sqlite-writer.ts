import { Worker } from 'node:worker_threads';

export interface WriterSettings {
  file: string;
  /** Per-connection settings (`PRAGMA`s), the same as the coordinator's connection (database.ts). */
  pragmas: readonly string[];
}

/** One statement, compiled for SQLite. `when`: run only if that earlier step of the job changed a row. */
export interface WriterStep {
  sql: string;
  parameters: readonly unknown[];
  when?: number;
}

export interface WriterJob {
  steps: WriterStep[];
}

/** Rows a step returned (RETURNING, SELECT) and rows it changed; null when skipped (its `when`). */
export type StepOutcome = { rows: unknown[]; changes: number } | null;

export type JobOutcome = { steps: StepOutcome[] } | { error: { message: string; code?: string } };

export interface WriterBatch {
  id: number;
  jobs: WriterJob[];
}

export interface WriterReply {
  id: number;
  jobs: JobOutcome[];
}

interface Pending {
  resolve(jobs: JobOutcome[]): void;
  reject(error: Error): void;
}

/**
 * The hot writes of an SQLite store (results, task starts, heartbeats, leases), committed on a worker
 * thread with its own connection.
 *
 * At a thousand agents the coordinator's thread ran at 95-100 % of a core, a third of it inside SQLite,
 * most of that in these statements and their commits; results then waited for the event loop's next
 * turn (dispatch p99 200-300 ms, scripts/bench-scale.ts). A batch of jobs is one message each way and
 * one commit, so the thread pays a message where it paid the statements. Reads stay on the coordinator's
 * connection: in WAL mode they never wait for this writer.
 *
 * Other writes stay on the coordinator's connection too: SQLite lets one connection write at a time, so
 * each side waits (busy_timeout) while the other commits, and the coordinator's transactions begin
 * IMMEDIATE (database.ts) so that waiting is all that happens.
 */
export class SqliteWriter {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly settings: WriterSettings) {}

  /** Runs the jobs as one commit (see the worker); each job's outcome or error, in order. */
  execute(jobs: WriterJob[]): Promise<JobOutcome[]> {
    if (this.stopped) {
      return Promise.reject(new Error('the store is closed'));
    }
    const worker = this.started();
    const id = this.nextId++;
    return new Promise<JobOutcome[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref(); // a write under way keeps the process alive until it is committed
      worker.postMessage({ id, jobs } satisfies WriterBatch);
    });
  }

  /** Writes already sent still commit; the thread then closes its connection. */
  stop(): void {
    this.stopped = true;
    this.worker?.postMessage('stop');
  }

  private started(): Worker {
    if (this.worker) {
      return this.worker;
    }
    const worker = new Worker(new URL('./sqlite-writer.worker.js', import.meta.url), {
      workerData: this.settings,
    });
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) {
        worker.unref();
      }
      pending?.resolve(reply.jobs);
    });
    // The thread failed (it could not open the file, or crashed): what it held fails, the next write
    // starts a new one.
    const lost = (why: string): void => {
      if (this.worker !== worker) {
        return;
      }
      this.worker = undefined;
      const error = new Error(`the SQLite writer thread ${why}`);
      this.pending.forEach((p) => p.reject(error));
      this.pending.clear();
    };
    worker.on('error', (error) => lost(`failed: ${error.message}`));
    worker.on('exit', (code) => lost(`exited (code ${code})`));
    this.worker = worker;
    return worker;
  }
}
