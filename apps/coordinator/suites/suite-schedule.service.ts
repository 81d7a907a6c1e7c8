import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Observable } from 'rxjs';
import { ArtifactKind, type Run, type UploadModelRequest } from '#contracts';
import { errorMessage } from '#common';
import { type SuiteSchedule, loadSuiteSource, nextFire } from '#suites';
import { UploadService } from '../artifacts/upload.service.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { ScheduleFiringRepository } from '../store/schedule-firing.repository.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { SuiteRunsService } from './suite-runs.service.js';

/** setTimeout's largest delay; longer waits are re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs suites on the cron schedules of the coordinator's configuration (MLFARM_SCHEDULES). A suite is
 * re-read from disk at every firing, so editing it needs no restart; a failing firing is logged and the
 * next one still happens.
 */
@Injectable()
export class SuiteScheduleService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SuiteScheduleService.name);
  private readonly timers = new Map<SuiteSchedule, NodeJS.Timeout>();
  /** When each schedule fires next (for logs and tests). */
  readonly nextFires = new Map<SuiteSchedule, Date>();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly uploads: UploadService,
    private readonly suiteRuns: SuiteRunsService,
    private readonly firings: ScheduleFiringRepository,
    private readonly cluster: ClusterService,
  ) {}

  onModuleInit(): void {
    for (const schedule of this.config.schedules) {
      this.arm(schedule);
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
    }
    this.timers.clear();
  }

  /** What a firing does: read the suite and its files, store them as artifacts, start a nightly run. */
  async runScheduled(schedule: SuiteSchedule): Promise<Run> {
    const { spec, source } = await loadSuiteSource(schedule.suiteFile, (path, use) => this.store(path, use));
    return this.suiteRuns.runSuite({
      suite: source,
      name: `${spec.suite} nightly ${new Date().toISOString().slice(0, 16)}Z`,
    });
  }

  /** Replicas share the schedules; the one that claims this firing in the store runs it. */
  private async fire(schedule: SuiteSchedule, at: Date): Promise<Run | undefined> {
    const key = `${schedule.cron} ${schedule.suiteFile} ${at.toISOString()}`;
    if (!(await this.firings.claim(key, this.cluster.replicaId, Date.now()))) {
      return undefined;
    }
    return this.runScheduled(schedule);
  }

  private arm(schedule: SuiteSchedule): void {
    const at = nextFire(schedule.cron, new Date());
    this.nextFires.set(schedule, at);
    const wait = at.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        if (wait > MAX_TIMER_MS) {
          this.arm(schedule);
          return;
        }
        this.fire(schedule, at).then(
          (run) =>
            run
              ? this.logger.log(`schedule '${schedule.cron}' started run ${run.id} of ${schedule.suiteFile}`)
              : this.logger.log(
                  `schedule '${schedule.cron}' ${schedule.suiteFile}: another replica fired it`,
                ),
          (e: unknown) =>
            this.logger.error(`schedule '${schedule.cron}' ${schedule.suiteFile}: ${errorMessage(e)}`),
        );
        this.arm(schedule);
      },
      Math.min(Math.max(wait, 0), MAX_TIMER_MS),
    );
    timer.unref();
    this.timers.set(schedule, timer);
    this.logger.log(`schedule '${schedule.cron}' ${schedule.suiteFile}: next at ${at.toISOString()}`);
  }

  /** The same path as an UploadModel stream: checked, hashed and stored content-addressed. */
  private async store(path: string, use: 'model' | 'tensor'): Promise<string> {
    const messages = new Observable<UploadModelRequest>((subscriber) => {
      subscriber.next({
        metadata: {
          name: basename(path),
          sizeBytes: '0',
          sha256: '',
          kind: use === 'model' ? ArtifactKind.ARTIFACT_KIND_MODEL : ArtifactKind.ARTIFACT_KIND_TENSOR,
        },
      });
      const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
      stream.on('data', (chunk) => subscriber.next({ chunk: chunk as Buffer }));
      stream.on('error', (e) => subscriber.error(e));
      stream.on('end', () => subscriber.complete());
      return () => stream.destroy();
    });
    return (await this.uploads.receive(messages)).sha256;
  }
}
