import { type Task, TaskState, type WatchRunResponse } from '#contracts';

const TASK_STATE_NAMES: Record<number, string> = {
  [TaskState.TASK_STATE_QUEUED]: 'queued',
  [TaskState.TASK_STATE_LEASED]: 'assigned',
  [TaskState.TASK_STATE_RUNNING]: 'running',
  [TaskState.TASK_STATE_SUCCEEDED]: 'done',
  [TaskState.TASK_STATE_FAILED]: 'failed',
  [TaskState.TASK_STATE_CANCELLED]: 'cancelled',
};

/**
 * Shows what is being measured while it happens, on stderr so stdout stays the report. On a terminal one
 * line is redrawn; in a log (CI) each phase change is one line.
 */
export class ProgressPrinter {
  private readonly tasks = new Map<string, Task>();
  private readonly lastPhase = new Map<string, string>();
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  onEvent(event: WatchRunResponse): void {
    if (event.task) {
      const before = this.tasks.get(event.task.id)?.state;
      this.tasks.set(event.task.id, event.task);
      if (before !== event.task.state) {
        this.line(
          `${this.label(event.task)}: ${TASK_STATE_NAMES[event.task.state] ?? 'unknown'}${event.task.error ? ` - ${event.task.error}` : ''}`,
        );
      }
    } else if (event.progress) {
      const p = event.progress;
      const task = this.tasks.get(p.taskId);
      const text = `${task ? this.label(task) : p.taskId}: ${p.phase} ${p.done}/${p.total}${p.lastMs > 0 ? ` (last ${p.lastMs.toFixed(2)} ms)` : ''}`;
      if (this.out.isTTY) {
        this.out.write(`\r\x1b[2K${text}`);
        this.drawn = true;
      } else if (this.lastPhase.get(p.taskId) !== p.phase) {
        this.lastPhase.set(p.taskId, p.phase);
        this.line(text);
      }
    }
  }

  done(): void {
    if (this.drawn) {
      this.out.write('\r\x1b[2K');
      this.drawn = false;
    }
  }

  private line(text: string): void {
    this.done();
    this.out.write(`${text}\n`);
  }

  private label(task: Task): string {
    const variant = task.variant === 'original' ? '' : ` (${task.variant})`;
    const runtime = task.runtime ? ` ort ${task.runtime}` : '';
    const agent = task.agentId ? ` @ ${task.agentId.slice(0, 14)}` : '';
    return `${task.modelName}${variant} [${task.ep}${runtime}${agent}]`;
  }
}
