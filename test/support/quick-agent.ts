import type * as grpc from '@grpc/grpc-js';
import { lastValueFrom } from 'rxjs';
import { RunState } from '#contracts';
import { type Assignment, minimalHello, minimalResult } from './flood-agent.js';
import type { RawClients } from './raw-grpc.js';
import { type TestFarm, waitFor } from './test-farm.js';

/**
 * Speaks the agent protocol: reports each task started, then (`auto`) its result after 0-15 ms, or
 * (otherwise) when the test calls report().
 */
export class QuickAgent {
  readonly assigned: string[] = [];
  /** Assignments received while a task was still held: must stay empty. */
  readonly overlaps: string[] = [];
  private holding?: string;
  private readonly received: Assignment[] = [];
  private readonly call: grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;

  constructor(
    clients: RawClients,
    readonly agentId: string,
    private auto = true,
  ) {
    this.call = (clients.gateway.connect as () => typeof this.call)();
    this.call.on('data', (message: { assignment?: Assignment; cancellation?: { taskId: string } }) => {
      if (message.assignment) {
        this.take(message.assignment);
      } else if (message.cancellation?.taskId === this.holding) {
        this.holding = undefined; // stopped: the coordinator may hand it the next task
      }
    });
    this.call.on('error', () => undefined);
    this.call.write({ hello: minimalHello(agentId) });
  }

  private take(task: Assignment): void {
    if (this.holding) {
      this.overlaps.push(`${task.taskId} while holding ${this.holding}`);
    }
    this.holding = task.taskId;
    this.assigned.push(task.taskId);
    this.received.push(task);
    this.call.write({ started: { taskId: task.taskId, attempt: task.attempt } });
    if (this.auto) {
      setTimeout(() => this.report(task), Math.random() * 15);
    }
  }

  /** Reports the task it holds now and every later one on its own. */
  reportFromNowOn(): void {
    this.auto = true;
    const held = this.received.find((task) => task.taskId === this.holding);
    if (held) {
      this.report(held);
    }
  }

  /** A heartbeat naming `taskIds` as the tasks the agent holds. */
  heartbeat(taskIds: string[]): void {
    this.call.write({ heartbeat: { runningTaskIds: taskIds } });
  }

  /** Forgets the task it holds without reporting it (a lost task), and says so in a heartbeat. */
  drop(): void {
    this.holding = undefined;
    this.heartbeat([]);
  }

  report(task: Assignment): void {
    this.holding = undefined;
    this.call.write({ result: minimalResult(task, this.agentId, 'quick') });
  }

  /** The n-th assignment (from 0), waiting up to `timeoutMs` for it. */
  async assignment(n: number, timeoutMs: number): Promise<Assignment> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length <= n) {
      if (Date.now() > deadline) {
        throw new Error(`${this.agentId}: assignment ${n + 1} did not come within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.received[n]!;
  }

  close(): void {
    this.call.end();
    this.call.cancel();
  }
}

export async function allSucceeded(
  farm: TestFarm,
  runIds: string[],
  timeoutMs: number,
  what: string,
): Promise<void> {
  await waitFor(
    async () => {
      const states = await Promise.all(
        runIds.map(
          async (runId) => (await lastValueFrom(farm.client.coordinator.getRun({ runId }))).run?.state,
        ),
      );
      return states.every((state) => state === RunState.RUN_STATE_SUCCEEDED);
    },
    timeoutMs,
    what,
  );
}
