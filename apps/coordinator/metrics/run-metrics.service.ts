import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type Subscription } from 'rxjs';
import type { Task, TaskProgress, TaskResult, WatchRunResponse } from '#contracts';
import { errorMessage } from '#common';
import {
  type CoordinatorMetrics,
  type HistogramSeries,
  type ResultLabels,
  TIMED_PHASE,
  SeenIndexes,
  liveSamplesOf,
  msToSeconds,
} from '#metrics';
import { AgentRegistry } from '../agents/agent-registry.service.js';
import { RunEventsService } from '../runs/run-events.service.js';
import { RunRepository, toTask } from '../store/run.repository.js';
import { COORDINATOR_METRICS } from './coordinator-metrics.tokens.js';
import { ResultMetricsRecorder } from './result-metrics.recorder.js';
import { taskLabels, taskStatus } from './task-labels.util.js';

/** Live samples observed per running task; past this a flood of progress (or a hostile agent) costs nothing. */
const MAX_LIVE_SAMPLES_PER_TASK = 100_000;

interface TrackedTask {
  labels: ResultLabels;
  /** The latency histogram's series for these labels, found once per task. */
  latency?: HistogramSeries;
  attempt: number;
  /** Timed iterations already observed live; the result adds only the others. */
  seen: SeenIndexes;
}

// The scheduler's give-up message for a task whose lease expired on its last attempt.
const LEASE_GIVE_UP = 'lease expired';

/**
 * Feeds the measurement and task families from the run event stream the scheduler already publishes, so
 * the scheduler itself knows nothing about Prometheus. Progress samples reach the latency histogram while
 * the task runs; a dashboard moves before the result exists.
 */
@Injectable()
export class RunMetricsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RunMetricsService.name);
  private readonly tasks = new Map<string, TrackedTask>();
  private readonly recorder: ResultMetricsRecorder;
  private subscription?: Subscription;

  constructor(
    @Inject(COORDINATOR_METRICS) private readonly metrics: CoordinatorMetrics,
    private readonly events: RunEventsService,
    private readonly agents: AgentRegistry,
    private readonly runs: RunRepository,
  ) {
    this.recorder = new ResultMetricsRecorder(metrics);
  }

  onModuleInit(): void {
    this.subscription = this.events.local$.subscribe(({ event }) => this.onEvent(event));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private onEvent(event: WatchRunResponse): void {
    if (event.task) {
      this.onTask(event.task);
    } else if (event.progress) {
      this.onProgress(event.progress);
    } else if (event.result) {
      this.onResult(event.result).catch((e: unknown) =>
        this.logger.warn(`result metrics of task ${event.result?.taskId ?? '?'} dropped: ${errorMessage(e)}`),
      );
    }
  }

  private onTask(task: Task): void {
    const status = taskStatus(task.state);
    const tracked = this.tasks.get(task.id);
    switch (status) {
      case 'queued':
        // Only an expired lease sends a task back to the queue, with the next attempt number.
        if (tracked && tracked.attempt < task.attempt) {
          this.metrics.leaseExpiries.inc({ outcome: 'requeued' });
          this.tasks.delete(task.id); // the next lease starts afresh, maybe on another agent
        }
        return;
      case 'leased':
      case 'running':
        if (!tracked || tracked.attempt !== task.attempt) {
          this.tasks.set(task.id, {
            labels: taskLabels(task, this.agents.get(task.agentId)),
            attempt: task.attempt,
            seen: new SeenIndexes(),
          });
        }
        return;
      case 'succeeded':
      case 'failed':
      case 'cancelled':
        this.metrics.tasksFinished.inc({ status });
        if (status === 'failed' && task.error.startsWith(LEASE_GIVE_UP)) {
          this.metrics.leaseExpiries.inc({ outcome: 'failed' });
        }
        this.tasks.delete(task.id);
        return;
      case undefined:
        return;
    }
  }

  private onProgress(progress: TaskProgress): void {
    const tracked = this.tasks.get(progress.taskId);
    if (!tracked) {
      return; // leased before this process started: its result still brings every sample
    }
    const latency = (tracked.latency ??= this.metrics.inferenceLatency.labels(tracked.labels));
    const samples = progress.samplesMs;
    // Every sample of every agent passes here (millions a second at a thousand agents): the usual
    // message, samples none of which was seen, is observed without a per-sample object or lookup.
    if (
      progress.phase === TIMED_PHASE &&
      samples.length > 0 &&
      tracked.seen.size + samples.length <= MAX_LIVE_SAMPLES_PER_TASK &&
      tracked.seen.addRun(progress.firstIndex, samples.length)
    ) {
      for (const ms of samples) {
        latency.observe(msToSeconds(ms));
      }
      return;
    }
    for (const sample of liveSamplesOf(progress)) {
      if (tracked.seen.size >= MAX_LIVE_SAMPLES_PER_TASK) {
        return; // the result brings every sample not observed live; this set must not grow without bound
      }
      if (tracked.seen.add(sample.index)) {
        latency.observe(msToSeconds(sample.ms));
      }
    }
  }

  private async onResult(result: TaskResult): Promise<void> {
    const tracked = this.tasks.get(result.taskId);
    let labels = tracked?.labels;
    if (!labels) {
      const row = await this.runs.findTask(result.taskId);
      if (!row) {
        return;
      }
      labels = taskLabels(toTask(row), this.agents.get(result.agentId));
    }
    this.recorder.record(labels, result, tracked?.seen ?? new SeenIndexes(), Date.now());
  }
}
