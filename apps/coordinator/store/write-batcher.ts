import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from './database.tokens.js';
import { type Db, dialectOf, sqliteWriterOf } from './database.js';
import { gathererFor } from './gather.js';
import { type WriteStep, lockInKeyOrder, runInLockstep } from './bulk-write.js';
import type { JobOutcome, SqliteWriter, StepOutcome } from './sqlite-writer.js';

export type { StepOutcome } from './sqlite-writer.js';
export type { WriteStep } from './bulk-write.js';

interface Job {
  steps: WriteStep[];
  resolve(value: StepOutcome[]): void;
  reject(error: unknown): void;
}

/** Jobs one commit carries at most. */
const MAX_BATCH = 64;
/** PostgreSQL commits wait for the WAL flush: a few at once keep the results flowing meanwhile. */
const POSTGRES_LANES = 3;
/** SQLite: a second batch waits in the writer thread's queue, so the thread never waits for this one. */
const SQLITE_LANES = 2;

/**
 * Group commit for the writes every task makes (its lease, start, result and end, and heartbeats). A
 * commit costs more than the statements it carries: SQLite writes its WAL, PostgreSQL waits for the WAL
 * flush. Writes gathered together (see gather.ts), or arriving while a commit is under way, share one
 * commit. Each job resolves only after its commit, with its steps' outcomes. If one job fails, the batch
 * is rolled back and its jobs run again one by one, so only that job fails.
 *
 * A job is compiled statements, not code, so that on SQLite the batch goes to the writer thread
 * (sqlite-writer.ts) as one message. PostgreSQL runs the batch in a pooled transaction: first it locks the
 * tasks the batch starts or ends, in id order (lockInKeyOrder: no deadlock between lanes), then the steps
 * of one kind across its jobs as one statement (bulk-write.ts), and the reads marked `afterCommit` after it.
 */
@Injectable()
export class WriteBatcher {
  private queue: Job[] = [];
  private draining = false;
  private readonly writer?: SqliteWriter;
  /** Commits under way at once. */
  private readonly lanes: number;
  private busy = 0;
  /** Also how dispatch sweeps gather idle agents: the same trade-off (see gather.ts). */
  readonly gather: (fn: () => void) => void;

  constructor(@Inject(DATABASE) private readonly db: Db) {
    this.writer = sqliteWriterOf(db);
    this.lanes = dialectOf(db) === 'postgres' ? POSTGRES_LANES : SQLITE_LANES;
    this.gather = gathererFor(db);
  }

  /**
   * The job's steps in one transaction, shared with other jobs; resolves with each step's outcome.
   * `urgent` (a dispatch sweep's leases, which agents wait for): on SQLite the job goes to the writer
   * thread at once, as a commit of its own, instead of waiting to be gathered and for a free lane behind
   * results; elsewhere it goes first into the next commit.
   */
  write(steps: WriteStep[], options: { urgent?: boolean } = {}): Promise<StepOutcome[]> {
    return new Promise<StepOutcome[]>((resolve, reject) => {
      const job = { steps, resolve, reject };
      if (options.urgent && this.writer) {
        void this.commitOnWriter(this.writer, [job]);
        return;
      }
      if (options.urgent) {
        this.queue.unshift(job);
      } else {
        this.queue.push(job);
      }
      if (!this.draining) {
        this.draining = true;
        this.gather(() => this.drain());
      }
    });
  }

  /** Starts commits while lanes are free; each finished commit takes the next batch at once. */
  private drain(): void {
    this.draining = false;
    while (this.busy < this.lanes && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.busy += 1;
      void (this.writer ? this.commitOnWriter(this.writer, batch) : this.commit(batch)).finally(() => {
        this.busy -= 1;
        this.drain();
      });
    }
    // Writes queued while every lane is busy start when one frees up (above), without gathering again.
    this.draining = this.queue.length > 0;
  }

  private async commitOnWriter(writer: SqliteWriter, batch: Job[]): Promise<void> {
    let outcomes: JobOutcome[];
    try {
      outcomes = await writer.execute(
        batch.map((job) => ({
          steps: job.steps.map(({ query, when }) => ({ sql: query.sql, parameters: query.parameters, when })),
        })),
      );
    } catch (error) {
      batch.forEach((job) => job.reject(error));
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) {
        job.reject(Object.assign(new Error(outcome.error.message), { code: outcome.error.code }));
      } else {
        job.resolve(outcome.steps);
      }
    });
  }

  private async commit(batch: Job[]): Promise<void> {
    const values: StepOutcome[][] = batch.map(() => []);
    try {
      await this.db.transaction().execute(async (trx) => {
        await lockInKeyOrder(trx, batch);
        await runInLockstep(trx, batch, values, (step) => !step.afterCommit);
      });
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const job of batch) {
        await this.commit([job]);
      }
      return;
    }
    try {
      await runInLockstep(this.db, batch, values, (step) => step.afterCommit === true);
    } catch (error) {
      // Committed already: a job without such reads has its outcome; the others learn why theirs failed.
      batch.forEach((job, i) =>
        job.steps.some((step) => step.afterCommit) ? job.reject(error) : job.resolve(values[i]!),
      );
      return;
    }
    batch.forEach((job, i) => job.resolve(values[i]!));
  }
}
