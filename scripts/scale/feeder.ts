import { errorMessage } from '#common';
import { type FarmClient } from './farm-client.js';

/**
 * Keeps `aheadTasks` tasks queued beyond what the agents were assigned, with runs of the model on every
 * connected agent (anyOneAgent=false: one task per agent), submitted to the replicas in turn.
 */
export class Feeder {
  submittedTasks = 0;
  runs = 0;
  error?: string;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly client: FarmClient,
    private readonly sha256: string,
    private readonly replicas: number,
    private readonly aheadTasks: number,
    private readonly assigned: () => number,
    private readonly maxRunsPerFill: number,
  ) {}

  /** Tops the queue up; at most `maxRuns` submissions, so a queue drained as fast as it fills cannot hold it here. */
  async fill(maxRuns: number): Promise<void> {
    for (
      let n = 0;
      n < maxRuns && !this.error && this.submittedTasks - this.assigned() < this.aheadTasks;
      n++
    ) {
      const tasks = await this.client.submit(this.runs % this.replicas, this.sha256, `scale-${this.runs}`);
      if (tasks === 0) {
        throw new Error(`run ${this.runs} was submitted with no task`);
      }
      this.runs += 1;
      this.submittedTasks += tasks;
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy || this.error) {
        return;
      }
      this.busy = true;
      this.fill(this.maxRunsPerFill)
        .catch((e: unknown) => (this.error = `SubmitRun failed: ${errorMessage(e)}`))
        .finally(() => (this.busy = false));
    }, 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
