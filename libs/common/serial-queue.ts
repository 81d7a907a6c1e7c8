// Runs async jobs one after another. Used where order matters (messages of one agent stream) or where two
// passes must never interleave (dispatch), without a lock library.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.tail.then(job, job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
