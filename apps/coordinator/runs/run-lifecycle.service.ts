import { Injectable, Logger } from '@nestjs/common';
import { SerialQueue, errorMessage } from '#common';

export type FinalRunState = 'succeeded' | 'failed' | 'cancelled';

/** What a feature (gates, nightly series) does when a run has no task left, or has ended. */
export interface RunHooks {
  /**
   * Every task of the run is finished. Return true after adding tasks (a gate's further rounds): the run
   * then goes on instead of ending. Runs before the run's final state is stored and announced.
   */
  onDrained?(runId: string): Promise<boolean>;
  /**
   * The run's final state is stored but not yet announced (WatchRun ends on it), so a client that sees the
   * run end finds its series, regressions and baselines up to date. Failures are logged, never change the run.
   */
  onFinished?(runId: string, state: FinalRunState): Promise<void>;
}

/**
 * Lets features hook into a run's end without the scheduler knowing them (and without circular
 * injection). Drained hooks run one at a time, so two results finishing a run together cannot add
 * a gate's rounds twice.
 */
@Injectable()
export class RunLifecycle {
  private readonly logger = new Logger(RunLifecycle.name);
  private readonly hooks: RunHooks[] = [];
  private readonly queue = new SerialQueue();

  register(hooks: RunHooks): void {
    this.hooks.push(hooks);
  }

  /** `stillDrained` is checked again inside the queue: a concurrent call may have added tasks already. */
  drained(runId: string, stillDrained: () => Promise<boolean>): Promise<boolean> {
    return this.queue.run(async () => {
      if (!(await stillDrained())) {
        return true;
      }
      for (const hook of this.hooks) {
        if (hook.onDrained && (await hook.onDrained(runId))) {
          return true;
        }
      }
      return false;
    });
  }

  /**
   * One run at a time: two nightlies ending close together must not look for change points on the same
   * series at once (each would report the change the other is about to store).
   */
  finished(runId: string, state: FinalRunState): Promise<void> {
    return this.queue.run(async () => {
      for (const hook of this.hooks) {
        try {
          await hook.onFinished?.(runId, state);
        } catch (e) {
          this.logger.error(`after run ${runId} ended: ${errorMessage(e)}`);
        }
      }
    });
  }
}
