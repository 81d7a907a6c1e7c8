import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from './database.tokens.js';
import { type Db, dialectOf, sqliteWriterOf } from './database.js';
import { gathererFor } from './gather.js';
import { type WriteStep, afterTheBatch, lockInKeyOrder, runInLockstep } from './bulk-write.js';
import type { JobOutcome, SqliteWriter, StepOutcome } from './sqlite-writer.js';

export type { StepOutcome } from './sqlite-writer.js';
export type { WriteStep } from './bulk-write.js';

function lockedRowsOf(steps: readonly WriteStep[]): string[] {
  return steps.flatMap((step) =>
    step.locks ? step.locks.keys.map((key) => `${step.locks!.form.name}\0${key}`) : [],
  );
}

interface Job {
  steps: WriteStep[];
  /** PostgreSQL: the rows the job's steps lock (see WriteStep.locks), as `form\0key`. */
  rows: string[];
  resolve(value: StepOutcome[]): void;
  reject(error: unknown): void;
}

/** Jobs one commit carries at most. */
const MAX_BATCH = 64;
/**
 * PostgreSQL commits wait for the WAL flush: two at once keep the results flowing meanwhile. Not more: a
 * report frees its agent before it is stored, so a commit's wait no longer holds up dispatch, and fewer
 * lanes carry bigger batches, fewer transactions for the coordinator's thread and the server. Three
 * against two, alternating at a thousand agents (bench-scale, paced): p99 49, 53 ms against 21, 38 ms on
 * one replica; 49, 41 against 44, 35 ms on two; saturated 1,507 against 1,573 tasks/s.
 */
const POSTGRES_LANES = 2;
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
 * of one kind across its jobs as one statement (bulk-write.ts); after the commit, the reads marked
 * `afterCommit` and the writes marked `ownCommit`, each a statement of its own.
 */
@Injectable()
export class WriteBatcher {
  private queue: Job[] = [];
  private draining = false;
  private readonly writer?: SqliteWriter;
  /** Commits under way at once. */
  private readonly lanes: number;
  private busy = 0;
  /** PostgreSQL: rows that batches under way lock, with how many of them lock each. */
  private readonly held = new Map<string, number>();
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
      const job = { steps, rows: lockedRowsOf(steps), resolve, reject };
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
      const batch = this.nextBatch();
      if (batch.length === 0) {
        break; // every queued job waits for a batch under way: its end drains again
      }
      const rows = batch.flatMap((job) => job.rows);
      rows.forEach((row) => this.held.set(row, (this.held.get(row) ?? 0) + 1));
      this.busy += 1;
      void (this.writer ? this.commitOnWriter(this.writer, batch) : this.commit(batch)).finally(() => {
        rows.forEach((row) => {
          const n = this.held.get(row)! - 1;
          if (n === 0) {
            this.held.delete(row);
          } else {
            this.held.set(row, n);
          }
        });
        this.busy -= 1;
        this.drain();
      });
    }
    // Writes queued while every lane is busy start when one frees up (above), without gathering again.
    this.draining = this.queue.length > 0;
  }

  /**
   * The next jobs in queue order, leaving for later (in order) each job that locks a row a batch under
   * way locks. Such a job would wait in PostgreSQL for that batch's commit, and its whole batch with it,
   * holding its own rows meanwhile: when results queued up behind a burst, a task's end met its start
   * still being committed in another lane, and each such wait slowed the lanes and grew the queue
   * further (scripts/bench-scale.ts, PostgreSQL: ~5,000 such meetings in a pass that fell behind).
   */
  private nextBatch(): Job[] {
    if (this.held.size === 0) {
      return this.queue.splice(0, MAX_BATCH);
    }
    const batch: Job[] = [];
    const later: Job[] = [];
    // Rows of the jobs left for later: a job after them that locks one of them stays behind them too.
    const waiting = new Set<string>();
    let i = 0;
    for (; i < this.queue.length && batch.length < MAX_BATCH; i++) {
      const job = this.queue[i]!;
      if (job.rows.some((row) => this.held.has(row) || waiting.has(row))) {
        job.rows.forEach((row) => waiting.add(row));
        later.push(job);
      } else {
        batch.push(job);
      }
    }
    this.queue = later.concat(this.queue.slice(i));
    return batch;
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
      // A batch of heartbeats only (renewals and touches, each its own commit) needs no transaction.
      if (batch.some((job) => job.steps.some((step) => !afterTheBatch(step)))) {
        await this.db.transaction().execute(async (trx) => {
          await lockInKeyOrder(trx, batch);
          await runInLockstep(trx, batch, values, (step) => !afterTheBatch(step));
        });
      }
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
      await runInLockstep(this.db, batch, values, afterTheBatch);
    } catch (error) {
      // The batch committed: a job without steps after it has its outcome; the others learn what failed.
      batch.forEach((job, i) =>
        job.steps.some(afterTheBatch) ? job.reject(error) : job.resolve(values[i]!),
      );
      return;
    }
    batch.forEach((job, i) => job.resolve(values[i]!));
  }
}
