import { Inject, Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode, SerialQueue } from '#common';
import { ClusterService } from '../cluster/cluster.service.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { RunRepository } from '../store/run.repository.js';
import { type Principal, clientKeyOf } from './principal.js';

/**
 * Per-client bounds, counted under the client's key (its API token; 'local' without authentication):
 * active runs (in the store, so a restart keeps counting) and open streams (in memory, as streams are).
 */
@Injectable()
export class ClientLimitsService {
  private readonly submitQueues = new Map<string, SerialQueue>();
  private readonly openStreams = new Map<string, number>();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly runs: RunRepository,
    private readonly cluster: ClusterService,
  ) {}

  /**
   * Submits of one client run one after another (on every replica: a farm-wide lock per client), so the
   * count of its active runs cannot be raced past the limit; the check comes before anything is built or
   * stored.
   */
  submitRun<T>(principal: Principal, submit: (submittedBy: string) => Promise<T>): Promise<T> {
    const key = clientKeyOf(principal);
    let queue = this.submitQueues.get(key);
    if (!queue) {
      queue = new SerialQueue();
      this.submitQueues.set(key, queue);
    }
    return queue.run(() => this.cluster.withLock(`mlfarm:submit:${key}`, () => this.checked(key, submit)));
  }

  private async checked<T>(key: string, submit: (submittedBy: string) => Promise<T>): Promise<T> {
    const limit = this.config.maxActiveRunsPerClient;
    const active = await this.runs.countActiveRunsOf(key);
    if (active >= limit) {
      throw new DomainError(
        DomainErrorCode.RESOURCE_EXHAUSTED,
        `this client already has ${active} queued or running runs; the limit is ${limit} ` +
          '(MLFARM_MAX_ACTIVE_RUNS_PER_CLIENT): wait for one to end or cancel one',
      );
    }
    return submit(key);
  }

  /** Takes one stream slot or fails; the returned function gives it back (once). */
  openStream(principal: Principal, method: string): () => void {
    const key = clientKeyOf(principal);
    const limit = this.config.maxStreamsPerClient;
    const open = this.openStreams.get(key) ?? 0;
    if (open >= limit) {
      throw new DomainError(
        DomainErrorCode.RESOURCE_EXHAUSTED,
        `${method}: this client already holds ${open} open streams; the limit is ${limit} ` +
          '(MLFARM_MAX_STREAMS_PER_CLIENT)',
      );
    }
    this.openStreams.set(key, open + 1);
    let released = false;
    return () => {
      if (!released) {
        released = true;
        const now = (this.openStreams.get(key) ?? 1) - 1;
        if (now > 0) {
          this.openStreams.set(key, now);
        } else {
          this.openStreams.delete(key);
        }
      }
    };
  }
}
