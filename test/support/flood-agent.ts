import type * as grpc from '@grpc/grpc-js';
import { type RawClients } from './raw-grpc.js';

export interface FloodCounts {
  progressSent: number;
  startedSent: number;
  acked: boolean;
}

export interface Assignment {
  taskId: string;
  attempt: number;
  runId: string;
}

/** An agent's hello with a CPU and nothing running, as the protocol's plain object. */
export function minimalHello(agentId: string): Record<string, unknown> {
  return {
    agentId,
    name: agentId,
    labels: [],
    executionProviders: [{ name: 'cpu', available: true, reason: '' }],
    runtimes: [],
    runningTaskIds: [],
  };
}

/** The smallest valid result of `task` (three samples, no per-node rows), as the protocol's plain object. */
export function minimalResult(task: Assignment, agentId: string, cpuModel: string): Record<string, unknown> {
  return {
    taskId: task.taskId,
    attempt: task.attempt,
    agentId,
    fingerprint: { cpuModel, cpuCores: 1 },
    measurement: {
      ortVersion: '1.30.0',
      ep: 'cpu',
      loadMs: 1,
      firstRunMs: 1,
      samplesMs: [1, 2, 3],
      latency: {
        median: 2,
        p90: 3,
        p99: 3,
        mean: 2,
        stddev: 1,
        min: 1,
        max: 3,
        mad: 1,
        ci95Low: 1,
        ci95High: 3,
        count: 3,
      },
      peakRssBytes: '1',
      arenaPeakBytes: '0',
      ops: [],
      opTypes: [],
      profiledRunMedianMs: 0,
      inputs: [],
    },
  };
}

/**
 * An agent that speaks the Connect protocol itself and floods the coordinator: it takes its assignment,
 * then sends `messages` reports as fast as its stream accepts them (progress with `samplesPerMessage`
 * samples each, and every tenth a repeated 'started', which the coordinator stores and publishes as a
 * task event), then the task's result.
 */
export class FloodAgent {
  private readonly call: grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;
  private assignment?: Promise<Assignment>;
  private ack?: Promise<void>;
  readonly ended: Promise<string>;

  constructor(
    clients: RawClients,
    readonly agentId: string,
  ) {
    this.call = (clients.gateway.connect as () => typeof this.call)();
    let gotAssignment: (a: Assignment) => void = () => {};
    let gotAck: () => void = () => {};
    this.assignment = new Promise((resolve) => (gotAssignment = resolve));
    this.ack = new Promise((resolve) => (gotAck = resolve));
    this.call.on('data', (message: { assignment?: Assignment; ack?: unknown }) => {
      if (message.assignment) {
        gotAssignment(message.assignment);
      } else if (message.ack) {
        gotAck();
      }
    });
    this.ended = new Promise((resolve) => {
      this.call.on('error', (error: grpc.ServiceError) => resolve(`${error.code} ${error.details}`));
      this.call.on('end', () => resolve('end'));
    });
    this.call.write({ hello: minimalHello(agentId) });
  }

  nextAssignment(): Promise<Assignment> {
    return this.assignment!;
  }

  async flood(task: Assignment, messages: number, samplesPerMessage: number): Promise<FloodCounts> {
    const counts: FloodCounts = { progressSent: 0, startedSent: 0, acked: false };
    const samples = Array.from({ length: samplesPerMessage }, (_, i) => 1 + i / 1000);
    this.call.write({ started: { taskId: task.taskId, attempt: task.attempt } });
    for (let i = 0; i < messages; i++) {
      const message =
        i % 10 === 9
          ? { started: { taskId: task.taskId, attempt: task.attempt } }
          : {
              progress: {
                taskId: task.taskId,
                phase: 'measure',
                done: i,
                total: messages,
                lastMs: 1,
                samplesMs: samples,
                firstIndex: i * samplesPerMessage,
              },
            };
      if (message.started) {
        counts.startedSent += 1;
      } else {
        counts.progressSent += 1;
      }
      if (!this.call.write(message)) {
        await new Promise((resolve) => this.call.once('drain', resolve));
      }
    }
    this.call.write({ result: minimalResult(task, this.agentId, 'flood') });
    await this.ack;
    counts.acked = true;
    return counts;
  }

  close(): void {
    this.call.end();
    this.call.cancel();
  }
}
