interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

/**
 * Reads by key asked for within one turn of the event loop, answered by one query (`fetch`) at the end of
 * the turn. On PostgreSQL every message about a task first reads the task: at a thousand agents one
 * round trip per result, each waiting for a pooled connection, was the most frequent statement and a
 * fifth of the driver's time (scripts/bench-scale.ts --sql-prof).
 */
export class BatchedLookup<V> {
  private pending = new Map<string, Waiter<V>[]>();

  constructor(private readonly fetch: (keys: string[]) => Promise<Map<string, V>>) {}

  get(key: string): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      if (this.pending.size === 0) {
        setImmediate(() => void this.flush());
      }
      const waiters = this.pending.get(key);
      if (waiters) {
        waiters.push({ resolve, reject });
      } else {
        this.pending.set(key, [{ resolve, reject }]);
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    try {
      const found = await this.fetch([...batch.keys()]);
      for (const [key, waiters] of batch) {
        waiters.forEach((w) => w.resolve(found.get(key)));
      }
    } catch (error) {
      for (const waiters of batch.values()) {
        waiters.forEach((w) => w.reject(error));
      }
    }
  }
}
