import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { Run, Task, TaskProgress, TaskResult, Verdict, WatchRunResponse } from '#contracts';

export interface RunEvent {
  runId: string;
  event: WatchRunResponse;
}

/** In-process fan-out of run changes to WatchRun streams. The store stays the source of truth. */
@Injectable()
export class RunEventsService {
  readonly events$ = new Subject<RunEvent>();

  run(run: Run): void {
    this.events$.next({ runId: run.id, event: { run } });
  }

  task(task: Task): void {
    this.events$.next({ runId: task.runId, event: { task } });
  }

  progress(runId: string, progress: TaskProgress): void {
    this.events$.next({ runId, event: { progress } });
  }

  result(runId: string, result: TaskResult): void {
    this.events$.next({ runId, event: { result } });
  }

  verdict(runId: string, verdict: Verdict): void {
    this.events$.next({ runId, event: { verdict } });
  }
}
