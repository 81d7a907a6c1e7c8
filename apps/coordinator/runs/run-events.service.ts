import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { Run, Task, TaskProgress, TaskResult, Verdict, WatchRunResponse } from '#contracts';
import { ClusterService } from '../cluster/cluster.service.js';

export interface RunEvent {
  runId: string;
  event: WatchRunResponse;
}

const EVENTS_CHANNEL = 'mlfarm_run_events';
const WATCH_CHANNEL = 'mlfarm_run_watch';
/** Events of one replica travel together when they come this close: one NOTIFY instead of hundreds. */
const BATCH_MS = 5;
const BATCH_MAX = 64;
/** A watcher says so again this often; a replica forgets a watch it has not heard of for three times that. */
const WATCH_RENEW_MS = 20_000;

interface EventBatch {
  from: string;
  events: RunEvent[];
}

/**
 * Fan-out of run changes to WatchRun streams. The store stays the source of truth. With replicas, events
 * go to the other replicas over the cluster's notifications: run states and verdicts always; task
 * changes, progress and results only for runs that some replica watches (nothing else there needs
 * them; at a thousand agents they were most of the database's work), and task ends that may concern an
 * agent of another replica.
 */
@Injectable()
export class RunEventsService implements OnModuleInit, OnModuleDestroy {
  /** Every event, from this replica and the others: what WatchRun streams. */
  readonly events$ = new Subject<RunEvent>();
  /** Events that happened on this replica only: what its own metrics count. */
  readonly local$ = new Subject<RunEvent>();
  private readonly watchedHere = new Map<string, number>();
  private readonly watchedElsewhere = new Map<string, number>();
  private outbox: RunEvent[] = [];
  private flushTimer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;

  constructor(private readonly cluster: ClusterService) {}

  onModuleInit(): void {
    if (!this.cluster.shared) {
      return;
    }
    this.cluster.on(EVENTS_CHANNEL, (payload) => {
      const batch = JSON.parse(payload) as EventBatch;
      if (batch.from !== this.cluster.replicaId) {
        batch.events.forEach((e) => this.events$.next(e));
      }
    });
    this.cluster.on(WATCH_CHANNEL, (payload) => {
      const { from, runIds } = JSON.parse(payload) as { from: string; runIds: string[] };
      if (from !== this.cluster.replicaId) {
        runIds.forEach((id) => this.watchedElsewhere.set(id, Date.now() + 3 * WATCH_RENEW_MS));
      }
    });
    this.renewTimer = setInterval(() => this.announceWatches([...this.watchedHere.keys()]), WATCH_RENEW_MS);
    this.renewTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.renewTimer);
    clearTimeout(this.flushTimer);
    this.flush();
  }

  /** A WatchRun stream of this replica follows `runId` until the returned function is called. */
  watching(runId: string): () => void {
    this.watchedHere.set(runId, (this.watchedHere.get(runId) ?? 0) + 1);
    this.announceWatches([runId]);
    return () => {
      const left = (this.watchedHere.get(runId) ?? 1) - 1;
      if (left > 0) {
        this.watchedHere.set(runId, left);
      } else {
        this.watchedHere.delete(runId);
      }
    };
  }

  run(run: Run): void {
    this.publish({ runId: run.id, event: { run } }, true);
  }

  /**
   * `forward`: send it to the other replicas even if none watches the run: a task that ended here while
   * its agent may be connected to another replica (a cancelled run) must stop there too.
   */
  task(task: Task, forward = false): void {
    this.publish({ runId: task.runId, event: { task } }, forward);
  }

  progress(runId: string, progress: TaskProgress): void {
    this.publish({ runId, event: { progress } }, false);
  }

  result(runId: string, result: TaskResult): void {
    this.publish({ runId, event: { result } }, false);
  }

  verdict(runId: string, verdict: Verdict): void {
    this.publish({ runId, event: { verdict } }, true);
  }

  private publish(event: RunEvent, always: boolean): void {
    this.local$.next(event);
    this.events$.next(event);
    if (this.cluster.shared && (always || this.watchedElsewhereNow(event.runId))) {
      this.outbox.push(event);
      if (this.outbox.length >= BATCH_MAX) {
        this.flush();
      } else {
        this.flushTimer ??= setTimeout(() => this.flush(), BATCH_MS);
      }
    }
  }

  private watchedElsewhereNow(runId: string): boolean {
    const until = this.watchedElsewhere.get(runId);
    if (until !== undefined && until < Date.now()) {
      this.watchedElsewhere.delete(runId);
      return false;
    }
    return until !== undefined;
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.outbox.length === 0) {
      return;
    }
    const batch: EventBatch = { from: this.cluster.replicaId, events: this.outbox };
    this.outbox = [];
    this.cluster.notify(EVENTS_CHANNEL, JSON.stringify(batch));
  }

  private announceWatches(runIds: string[]): void {
    if (this.cluster.shared && runIds.length > 0) {
      this.cluster.notify(WATCH_CHANNEL, JSON.stringify({ from: this.cluster.replicaId, runIds }));
    }
  }
}
