/**
 * Jobs that may run side by side (`shared`) and jobs that must run alone (`exclusive`), in the order they
 * were asked for: an exclusive job starts when every job asked before it has ended, and jobs asked after
 * it start when it has ended. SerialQueue is this queue with exclusive jobs only.
 */
export class SharedExclusiveQueue {
  /** The last exclusive job's end (never rejects). */
  private exclusiveEnd: Promise<unknown> = Promise.resolve();
  /** Shared jobs asked since that exclusive job, until they end (never reject). */
  private readonly sharedRunning = new Set<Promise<unknown>>();

  shared<T>(job: () => Promise<T>): Promise<T> {
    const next = this.exclusiveEnd.then(job, job);
    const settled: Promise<unknown> = next.then(
      () => this.sharedRunning.delete(settled),
      () => this.sharedRunning.delete(settled),
    );
    this.sharedRunning.add(settled);
    return next;
  }

  exclusive<T>(job: () => Promise<T>): Promise<T> {
    const before = Promise.all([this.exclusiveEnd, ...this.sharedRunning]);
    this.sharedRunning.clear();
    const next = before.then(job, job);
    this.exclusiveEnd = next.catch(() => undefined);
    return next;
  }
}
