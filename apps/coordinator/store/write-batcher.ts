import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { DATABASE } from './database.tokens.js';
import { type Db, dialectOf } from './database.js';
import { gathererFor } from './gather.js';
import type { Database } from './database.types.js';

type Work = (trx: Transaction<Database>) => Promise<unknown>;

interface Job {
  work: Work;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Jobs one commit carries at most. */
const MAX_BATCH = 64;
/** PostgreSQL commits wait for the WAL flush: a few at once keep the results flowing meanwhile. */
const POSTGRES_LANES = 3;

/**
 * Group commit for the writes every task makes (its start, its result and end). A commit costs more
 * than the statements it carries: SQLite writes its WAL, PostgreSQL waits for the WAL flush. Writes
 * gathered together (see gather.ts), or arriving while a commit is under way, share one commit. Each job
 * resolves only after its commit. If one job fails, the
 * batch is rolled back and its jobs run again one by one, so only that job fails.
 * Jobs must do nothing but database work inside `work`: it may run twice.
 */
@Injectable()
export class WriteBatcher {
  private queue: Job[] = [];
  private draining = false;
  /** Commits under way at once: one on SQLite (one connection), a few on PostgreSQL (a pool). */
  private readonly lanes: number;
  private busy = 0;
  /** Also how dispatch sweeps gather idle agents: the same trade-off (see gather.ts). */
  readonly gather: (fn: () => void) => void;

  constructor(@Inject(DATABASE) private readonly db: Db) {
    this.lanes = dialectOf(db) === 'postgres' ? POSTGRES_LANES : 1;
    this.gather = gathererFor(db);
  }

  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
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
      void this.commit(batch).finally(() => {
        this.busy -= 1;
        this.drain();
      });
    }
    // Writes queued while every lane is busy start when one frees up (above), without gathering again.
    this.draining = this.queue.length > 0;
  }

  private async commit(batch: Job[]): Promise<void> {
    const values: unknown[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const job of batch) {
          values.push(await job.work(trx));
        }
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
    batch.forEach((job, i) => job.resolve(values[i]));
  }
}
